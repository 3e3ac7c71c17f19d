"""Write N article files of made-up but realistic coverage, for import load tests.

    python -m perf.generate OUT_DIR [--count 1000] [--seed 0] [--format md|txt]

The text is the sample coverage in ``content/diplomacy/`` taken apart and put back together: headlines
recombined from the samples' headlines, paragraphs and subheadings drawn from theirs. Markdown files
carry front matter with a section, a byline, tags (names from ``content/vocabulary.json``), a
dateline, a status and a publication time; plain-text files are the desk's wire format (headline,
subheadings, paragraphs). The same ``--seed`` gives the same files, and article N is the same
whatever ``--count`` says, so a smaller set is the start of a larger one.

Every file must import cleanly, so the plain-text format's rules (what a headline or a subheading
is, the characters text may not hold) are the importer's own, imported here, not copies.
"""

import argparse
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from perf import harness

harness.setup_django()  # the importer's package loads the models, which need the app registry
from articles.importers.plaintext import (  # noqa: E402
    ENDS_LIKE_SENTENCE,
    HEADLINE_MAX_CHARS,
    SUBHEADING_MAX_CHARS,
    cut_dek,
)
from articles.plain_text import strip_control_characters  # noqa: E402

SAMPLES = harness.SAMPLES
VOCABULARY = harness.PROJECT / "content" / "vocabulary.json"
FILES_PER_FOLDER = 1000

SECTIONS = ("Diplomacy", "Asia", "Americas", "Europe", "Trade", "Security", "Climate", "Analysis")
AUTHORS = (
    "Ana Ruiz", "Wang Yi", "Daniel Okafor", "Mei Lin", "Sarah Whitfield", "Tomás Herrera",
    "Priya Raman", "Jonas Becker", "Aiko Tanaka", "Omar Haddad", "Claire Dubois", "Lukas Novak",
    "Grace Mensah", "Ivan Petrov", "Sofia Marquez", "Hannah Cole", "Kwame Asante", "Nadia Karim",
    "Elena Rossi", "Ben Carter", "Yusuf Demir", "Laura Jensen", "Chen Hao", "Fatima Zahra",
)  # fmt: skip
# Where a story was filed and the UTC offset its publication time is written with there.
DATELINES = {
    "BEIJING": 8, "SHANGHAI": 8, "HONG KONG": 8, "TAIPEI": 8, "TOKYO": 9, "SEOUL": 9,
    "WASHINGTON": -5, "NEW YORK": -5, "GENEVA": 1, "BRUSSELS": 1, "LONDON": 0, "NEW DELHI": 5.5,
    "JAKARTA": 7, "SINGAPORE": 8, "MOSCOW": 3, "KYIV": 2,
}  # fmt: skip
# The pieces of the samples' two headlines, and a few more of the same kind, to recombine.
SUBJECTS = (
    "Blinken", "US Secretary of State Blinken", "Antony Blinken", "Wang Yi", "China's Top Diplomat",
    "A US Trade Envoy", "The Deputy Secretary of State", "Beijing's Special Envoy",
)  # fmt: skip
VERBS = ("Arrives in", "Heads to", "Returns to", "Lands in", "Meets Counterparts in", "Holds Talks in")
PURPOSES = (
    "for High-Stakes Discussions", "to Ease Mounting U.S.-China Tensions", "as Trade Disputes Linger",
    "Amid Human Rights Concerns", "to Reopen Lines of Communication", "for Talks on Climate Change",
    "as Cybersecurity Fears Grow", "Seeking Common Ground", "to Manage Differences",
)  # fmt: skip
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2025, 7, 1, tzinfo=UTC) - START).total_seconds())


def write_articles(out_dir, *, count, seed=0, extension="md"):
    """Write ``count`` generated article files under ``out_dir``; return how many."""
    material = Material.from_samples()
    render = markdown_file if extension == "md" else plaintext_file
    for number in range(count):
        folder = Path(out_dir, f"{number // FILES_PER_FOLDER:03d}")
        if number % FILES_PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        story = material.story(random.Random(f"{seed}:{number}"))
        Path(folder, f"s{seed}-{number:06d}.{extension}").write_text(render(story), encoding="utf-8")
    return count


class Material:
    """The samples' paragraphs and subheadings, with names to go around them."""

    def __init__(self, paragraphs, subheadings, tags):
        self.paragraphs, self.subheadings, self.tags = paragraphs, subheadings, tags

    @classmethod
    def from_samples(cls):
        paragraphs, subheadings = [], []
        for path in sorted(SAMPLES.glob("*.txt")):
            text = strip_control_characters(path.read_text(encoding="utf-8"))
            blocks = [" ".join(block.split()) for block in text.split("\n\n")]
            for position, block in enumerate(filter(None, blocks)):
                # What the importer reads as a subheading (or, first, a headline): short, one line,
                # not ending like a sentence.
                short = len(block) <= SUBHEADING_MAX_CHARS and not ENDS_LIKE_SENTENCE.search(block)
                if short and position > 0:
                    subheadings.append(block)
                elif not short:
                    paragraphs.append(block)
        if not paragraphs or not subheadings:
            raise RuntimeError(f"no sample coverage to build on in {SAMPLES}")
        vocabulary = json.loads(VOCABULARY.read_text(encoding="utf-8"))
        tags = [entry["name"] for group in vocabulary.values() for entry in group]
        return cls(paragraphs, subheadings, tags)

    def story(self, rng):
        """Return one story as a dict of its fields, drawn with ``rng``."""
        dateline = rng.choice(sorted(DATELINES))
        headline = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {dateline.title()} {rng.choice(PURPOSES)}"
        if rng.random() < 0.2:
            longer = f"{rng.choice(self.subheadings)}: {headline}"
            headline = longer if len(longer) <= HEADLINE_MAX_CHARS else headline
        blocks = []
        for index, paragraph in enumerate(rng.sample(self.paragraphs, rng.randint(4, 9))):
            if index > 0 and rng.random() < 0.35:
                blocks.append(("subheading", rng.choice(self.subheadings)))
            blocks.append(("paragraph", paragraph))
        offset = timezone(timedelta(hours=DATELINES[dateline]))
        moment = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        roll = rng.random()
        status = "published" if roll < 0.9 else "draft" if roll < 0.97 else "review"
        return {
            "title": headline,
            "dek": cut_dek(blocks[0][1]),
            "section": rng.choice(SECTIONS),
            "authors": rng.sample(AUTHORS, rng.choice((1, 1, 1, 2, 2, 3))),
            "tags": rng.sample(self.tags, rng.randint(2, 5)),
            "dateline": dateline,
            "status": status,
            "published_at": moment.astimezone(offset).isoformat() if status == "published" else None,
            "blocks": blocks,
        }


def markdown_file(story):
    # JSON strings are YAML double-quoted strings: a colon or a quote in a headline stays text.
    lines = ["---"]
    for key in ("title", "dek", "section", "authors", "tags", "dateline", "status", "published_at"):
        if story[key] is not None:
            lines.append(f"{key}: {json.dumps(story[key], ensure_ascii=False)}")
    lines.append("---")
    body = [f"## {text}" if kind == "subheading" else text for kind, text in story["blocks"]]
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def plaintext_file(story):
    return "\n\n".join([story["title"], *(text for _, text in story["blocks"])]) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Write COUNT article files of generated coverage (the sample coverage's headlines, "
            "subheadings and paragraphs recombined) to OUT_DIR, 1,000 to a folder, for load tests of "
            "import_articles. Markdown files carry a section, authors, tags, a dateline, a status and "
            "a publication time in their front matter. Existing files of the same names are replaced."
        )
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--count", type=int, default=1000, help="how many files (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same files")
    parser.add_argument(
        "--format", choices=("md", "txt"), default="md", help="Markdown (default) or plain text"
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    written = write_articles(args.out_dir, count=args.count, seed=args.seed, extension=args.format)
    label = "Markdown" if args.format == "md" else "plain-text"
    print(f"Wrote {written} {label} files to {args.out_dir} (seed {args.seed})")


if __name__ == "__main__":
    main()
