from django.apps import AppConfig


class DeskConfig(AppConfig):
    default = True
    name = "desk"
    verbose_name = "Desk"

    def ready(self):
        # Through articles' hook, so articles never imports this app: who else has a story open,
        # and the notes left on it, above the story's fields.
        from articles.admin import add_change_form_panel
        from desk import notes, presence

        add_change_form_panel(presence.panel)
        add_change_form_panel(notes.panel)
