"""What readers and editors ask of the stories, as querysets: the one visibility rule
(``published()``, through ``articles.models.workflow``), the lists' orders and the indexes they
read, topics and related coverage. ``Article.objects`` is an ``ArticleQuerySet``.
"""

from django.db import connections, models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.utils import timezone

from articles import page_extras
from articles.models.taxonomy import Tag, TaggedArticle
from articles.models.workflow import State, Status, state_condition

# Related coverage is chosen among this many of the newest stories sharing a tag.
RELATED_CANDIDATES = 200


class ArticleQuerySet(models.QuerySet):
    # Works out the cards a result of ``with_cards()`` lacks: articles.cards.ensure, set when the
    # app is ready (it reads the models this module defines).
    card_filler = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._with_cards = False
        # The link (relation, story column) whose copy of the release time orders newest_first():
        # the first tag's taggings, or an author's bylines.
        self._ordered_by_link = None
        # The moment published() judged by: a topic's or author's links are then read from it
        # backwards (``_released_by``), not from the scheduled stories' future times down.
        self._public_at = None

    def _clone(self):
        clone = super()._clone()
        clone._with_cards = self._with_cards
        clone._ordered_by_link = self._ordered_by_link
        clone._public_at = self._public_at
        return clone

    def _released_by(self, relation):
        """On ``published()``: the condition, on a link's copy of the release time, that its story
        went out by then, to go in the same filter() call as the link's own (one join). The rule
        itself is still the stories' own; this only lets the (tag or author, published_at) index
        start at now rather than walk every scheduled story first: 7,393 taggings read for a page of
        20 at a million stories, most of them scheduled."""
        return {f"{relation}published_at__lte": self._public_at} if self._public_at else {}

    def _fetch_all(self):
        fetching = self._result_cache is None
        super()._fetch_all()
        if fetching and self._with_cards and self._iterable_class is ModelIterable and self.card_filler:
            self.card_filler(self._result_cache)

    def with_cards(self):
        """Articles that come with their card data (articles/cards.py): read from their own row, or
        for a story saved before cards existed, worked out for the whole result at once, as
        prefetch_related would."""
        clone = self._chain()
        clone._with_cards = True
        return clone

    def in_state(self, state, now=None):
        now = now or timezone.now()
        clone = self.filter(state_condition(state, now))
        if state == State.PUBLISHED:
            clone._public_at = now
        return clone

    def published(self):
        """What a reader may see: published, publication time reached."""
        return self.in_state(State.PUBLISHED)

    def scheduled(self):
        """Published with a publication time still to come: they go live by themselves."""
        return self.in_state(State.SCHEDULED)

    def released(self):
        """Published or scheduled: out of the desk's hands. Only an editor may change these, and
        only these are ever on a public surface (scheduled ones from their time on)."""
        return self.filter(status=Status.PUBLISHED)

    def drafts(self):
        return self.in_state(State.DRAFT)

    def in_review(self):
        return self.in_state(State.REVIEW)

    def awaiting_announcement(self):
        """Released stories whose going public has not been announced (articles.publishing): the
        scheduled ones, and any whose time has come since the last announcement."""
        return self.released().filter(announced=False)

    def for_card(self):
        """A card's own columns, its card data (articles/cards.py) and its section; not the body,
        which a card never shows. One query."""
        return self.select_related("section").defer("body", "body_html").with_cards()

    def for_list(self):
        """Everything a list of cards shows: one query (``cards.ensure`` fills in a missing card)."""
        return self.for_card()

    def for_page(self):
        """Everything an article's own page shows: its columns, card data, section and what other apps
        add to it (page_extras.PAGE_RELATIONS), one query."""
        return self.select_related("section", *page_extras.PAGE_RELATIONS).with_cards()

    def in_section(self, section):
        return self.filter(section=section)

    def tagged_with_all(self, tags):
        """Articles carrying every one of ``tags`` (an AND filter, one join per tag). Ordered by
        ``newest_first``, they are read through the first tag's taggings, newest first."""
        queryset = self
        for tag in tags:
            queryset = queryset.filter(tagged_items__tag=tag, **self._released_by("tagged_items__"))
        if tags:
            queryset._ordered_by_link = ("tagged_items", "content_object_id")
        return queryset

    def newest_first(self):
        if self._ordered_by_link:
            # The first tag's join, or the author's (filters reuse it): its (tag or author,
            # publication time, story) index gives the page's order, where the stories' own index
            # would be read through every story of the archive to find a rare topic's.
            relation, story = self._ordered_by_link
            return self.order_by(f"-{relation}__published_at", f"-{relation}__{story}")
        return self.order_by("-published_at", "-pk")

    def by_author(self, author):
        """An author's articles; ordered by ``newest_first``, read through the author's bylines
        (unless a tag filter came first)."""
        queryset = self.filter(bylines__author=author, **self._released_by("bylines__"))
        if not queryset._ordered_by_link:
            queryset._ordered_by_link = ("bylines", "article_id")
        return queryset

    def showing_picture(self, picture_id):
        """Articles whose body names library picture ``picture_id`` (``photo:12``, not ``photo:123``).
        A regular expression both SQLite (through Django) and PostgreSQL run."""
        return self.filter(body__regex=rf"photo:{int(picture_id)}([^0-9]|$)")

    def top_per_section(self, per_section):
        """The newest ``per_section`` articles of every section, in one query.

        One short index scan per section (a lateral join on PostgreSQL, a correlated ``IN`` on
        SQLite), so the front page costs the same whatever the size of the archive.
        """
        newest = self.filter(section_id=RawSQL('"front_section"."id"', ())).newest_first()
        inner_sql, params = newest.values("pk")[:per_section].query.get_compiler(self.db).as_sql()
        if connections[self.db].vendor == "postgresql":
            ids = (
                f"SELECT top.* FROM articles_section AS front_section CROSS JOIN LATERAL ({inner_sql}) AS top"
            )
        else:
            ids = (
                "SELECT front_article.id FROM articles_section AS front_section "
                f"JOIN articles_article AS front_article ON front_article.id IN ({inner_sql})"
            )
        return self.filter(pk__in=RawSQL(ids, params))

    def lead_story(self):
        """The front page's top story: the newest featured article, else the newest."""
        # Chosen on the article table alone, then read with its section: joined, SQLite would sort
        # every public story instead of reading one entry of the lead-story index.
        chosen = self.order_by("-featured", "-published_at", "-pk").values("pk")[:1]
        return self.model.objects.filter(pk__in=chosen).for_card().first()

    def related_to(self, article, limit=5):
        """Up to ``limit`` articles sharing the most tags with ``article``, newest first on ties.

        Candidates are the newest ``RELATED_CANDIDATES`` public stories sharing any tag, so the
        cost stays flat as the archive grows (related coverage is recent coverage). They are read
        tag by tag from the taggings' (tag, release time) index, the newest ``RELATED_CANDIDATES``
        of each, rather than by walking the stories newest first until enough share a tag: a story
        whose topics are rare would walk the whole archive. Takes ``article``'s tags from its card,
        so it costs one query.
        """
        tag_ids = [tag.pk for tag in article.topics]
        if not tag_ids:
            return self.none()
        # One more a tag than wanted: the story itself may be among each tag's newest.
        newest_per_tag = self._newest_tagged(tag_ids, RELATED_CANDIDATES + 1)
        sharing = TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag__in=tag_ids)
        candidates = (
            self.filter(pk__in=newest_per_tag)
            .exclude(pk=article.pk)
            .newest_first()
            .values("pk")[:RELATED_CANDIDATES]
        )
        shared_count = sharing.order_by().values("content_object").annotate(n=Count("pk")).values("n")
        return (
            self.filter(pk__in=candidates)
            .annotate(shared_tags=Subquery(shared_count))
            .order_by("-shared_tags", "-published_at", "-pk")[:limit]
        )

    def _newest_tagged(self, tag_ids, per_tag):
        """The ids of the newest ``per_tag`` stories released by now (by the taggings' copy of the
        release time) of each tag, as SQL for ``pk__in``: one short range of the taggings' index a
        tag. The caller's own filter still applies the visibility rule to each."""
        now = self._public_at or timezone.now()
        branches, params = [], []
        for number, tag_id in enumerate(tag_ids):
            newest = (
                TaggedArticle.objects.filter(tag_id=tag_id, published_at__lte=now)
                .order_by("-published_at", "-content_object_id")
                .values("content_object_id")[:per_tag]
            )
            sql, branch_params = newest.query.get_compiler(self.db).as_sql()
            # Wrapped, as SQLite allows no ORDER BY or LIMIT in a compound statement's own parts.
            branches.append(f"SELECT * FROM ({sql}) AS newest_{number}")
            params += branch_params
        return RawSQL(" UNION ".join(branches), params)

    def tags_in_use(self):
        """The tags carried by at least one of these articles. On ``published()``: the topics a
        reader may know of; one used only by drafts or scheduled stories has no page yet."""
        # Tagging by tagging through the tag's index, each story looked up by id: stops at the first
        # one among these, instead of listing every public story first.
        among_these = self.filter(pk=OuterRef("content_object_id"))
        taggings = TaggedArticle.objects.filter(tag=OuterRef("pk"), **self._released_by(""))
        carried = taggings.filter(Exists(among_these))
        return Tag.objects.filter(Exists(carried))

    def tag_counts(self, exclude=()):
        """The tags on these articles with how many of them carry each, most used first."""
        return (
            Tag.objects.filter(tagged_articles__content_object__in=self.values("pk"))
            .exclude(pk__in=[tag.pk for tag in exclude])
            .annotate(article_count=Count("tagged_articles"))
            .order_by("-article_count", "name")
        )

    def tag_facets(self, newest, limit, exclude=()):
        """The ``limit`` tags most used on the newest ``newest`` of these articles, each with its
        ``article_count`` among them, in one query whose cost does not grow with the archive.

        The taggings are read article by article through the (article, tag) index: a lateral join
        on PostgreSQL, which would otherwise scan every tagging once the archive is large.
        """
        articles_sql, params = self.newest_first().values("pk")[:newest].query.get_compiler(self.db).as_sql()
        taggings = TaggedArticle._meta.db_table
        if connections[self.db].vendor == "postgresql":
            join = (
                f"CROSS JOIN LATERAL (SELECT tag_id FROM {taggings} WHERE content_object_id = recent.pk) AS t"
            )
        else:
            join = f"JOIN {taggings} AS t ON t.content_object_id = recent.pk"
        excluded = [tag.pk for tag in exclude]
        not_excluded = f"WHERE t.tag_id NOT IN ({', '.join(['%s'] * len(excluded))})" if excluded else ""
        sql = (
            f"SELECT tag.*, facet.article_count FROM {Tag._meta.db_table} AS tag JOIN ("
            f"SELECT t.tag_id, COUNT(*) AS article_count FROM ({articles_sql}) AS recent {join} "
            f"{not_excluded} GROUP BY t.tag_id) AS facet ON facet.tag_id = tag.id "
            "ORDER BY facet.article_count DESC, tag.name LIMIT %s"
        )
        return list(Tag.objects.db_manager(self.db).raw(sql, [*params, *excluded, limit]))
