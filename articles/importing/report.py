"""What an import tells its caller: the ``ImportReport`` (the tally, an ``Outcome`` for each file,
the problems and the warnings), and ``ImportOptionError`` for an option that cannot be used.

Imports nothing from the other modules of the package.
"""

from dataclasses import dataclass, field
from pathlib import Path

from articles.importers import Notice

# What an import does to a file, by the code ``ImportReport`` keeps of it.
_ACTIONS = ("created", "updated", "unchanged")


class ImportOptionError(ValueError):
    """An import option that cannot be used: an unknown status, a name longer than its field allows."""


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one file: created, updated or unchanged."""

    path: Path
    action: str
    slug: str


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do.

    ``failed`` counts the inputs with a problem: files, and paths that are missing or hold no
    articles. ``skipped`` counts files in folders that are not in an import format.
    """

    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    # Good files not written because another file failed and the import is all or nothing.
    held_back: int = 0
    problems: list[Notice] = field(default_factory=list)
    # Links, pipes and devices in the folders, not read (import_sources.Skip); counted in skipped.
    skips: list = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    # The path string, action and slug of each file, in order, side by side; ``outcomes`` makes
    # them ``Outcome``s. Two list slots and a byte a file (strings the entry and the article
    # already hold) where a tuple apiece cost 64 bytes more: a million files' worth.
    _files: list[str] = field(default_factory=list, repr=False)
    _actions: bytearray = field(default_factory=bytearray, repr=False)
    _slugs: list[str] = field(default_factory=list, repr=False)

    @property
    def outcomes(self):
        return [
            Outcome(Path(file), _ACTIONS[code], slug)
            for file, code, slug in zip(self._files, self._actions, self._slugs, strict=True)
        ]

    def summary(self):
        """Return the one-line tally, e.g. "2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"."""
        counts = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.failed} failed"
        )
        return f"Dry run: {counts}" if self.dry_run else counts

    def fail(self, notice):
        self.problems.append(notice)
        self.failed += 1

    def fail_file(self, notices):
        """Count one failed file with a message for each of its problems."""
        self.problems.extend(notices)
        self.failed += 1

    def add_outcome(self, file, action, slug):
        """Count one file's ``action`` ("created", "updated" or "unchanged"); ``file`` is its path."""
        setattr(self, action, getattr(self, action) + 1)
        self._files.append(file)
        self._actions.append(_ACTIONS.index(action))
        self._slugs.append(slug)

    def undo_outcomes(self):
        """Forget what was written: the transaction that wrote it was rolled back."""
        self.created = self.updated = self.unchanged = 0
        self._files.clear()
        self._actions.clear()
        self._slugs.clear()
