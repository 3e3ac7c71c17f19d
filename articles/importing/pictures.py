"""The picture files an import names (``articles.picture_files``): while planning (phase 2, in a
worker process for a large import), each is opened as a regular file inside its folder, read once
and checked by the picture library, and its bytes as the library would store them are put in the
import's picture spool, a temporary folder, by checksum; while writing (phase 4), the pictures of a
body are placed in the library before the body is rendered, which gives them their ids.

The checked bytes wait in files, not in the plan, so a WordPress export of a thousand posts with a
picture each takes no more memory than one without, and a picture several stories name is kept
once. Imports nothing from the other modules of the package.
"""

import os

from articles import picture_files
from articles.importers import PHOTO_PLACEHOLDER, ImportProblem, open_regular

# This process's checks of the files of one import, by the file's identity on disk: a picture that
# many posts of a WordPress export lead with is read and decoded once. Emptied for the next import.
_checked = {}
_checked_for = [None]


def check_pictures(record, spool):
    """Return (the lead ``NamedPicture`` or None, [(offset, ``NamedPicture``)] of the body's) for the
    pictures ``record`` names, their bytes put in the folder ``spool``.

    Raises ``ImportProblem`` at the line that names a picture that is missing, outside its folder,
    not a regular file, not a picture the library accepts, or without the texts it requires.
    """
    refs = record.picture_refs()
    if not refs:
        return None, []
    library = picture_files.library()
    if library is None:
        raise ImportProblem(
            record.path, refs[0].line, f"{refs[0].label}: no picture library is installed to take it"
        )
    if _checked_for[0] != spool:
        _checked.clear()
        _checked_for[0] = spool
    lead = _check(record.path, record.image, library, spool) if record.image else None
    body = [(item.offset, _check(record.path, item.ref, library, spool)) for item in record.body_pictures]
    return lead, body


def _check(path, ref, library, spool):
    if problem := library.text_problem(ref.alt, ref.caption, ref.credit):
        which, reason = problem
        raise ImportProblem(path, ref.line_of(which), f"{ref.label}: {reason}")
    with _open(path, ref) as file:
        stat = os.fstat(file.fileno())
        key = (os.path.realpath(ref.file), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        found = _checked.get(key)
        if found is None:
            checked = library.check_file(file)
            found = checked if isinstance(checked, str) else _spooled(checked, spool)
            _checked[key] = found
    if isinstance(found, str):
        raise ImportProblem(path, ref.line, f"{ref.label}: {found}")
    checksum, extension, facts, spooled = found
    return picture_files.NamedPicture(
        checksum=checksum,
        extension=extension,
        facts=facts,
        alt=ref.alt,
        caption=ref.caption,
        credit=ref.credit,
        spooled=spooled,
    )


def _open(path, ref):
    """Open the file ``ref`` names, if it is a regular file inside ``ref.folder``: an import reads
    only what lies beside its articles (or in the uploads folder it was given), and a symbolic link
    on the way must not lead it anywhere else."""
    if not os.path.lexists(ref.file):
        raise ImportProblem(path, ref.line, f"{ref.label}: no such file: {ref.file}")
    folder = os.path.realpath(ref.folder)
    if os.path.commonpath([os.path.realpath(ref.file), folder]) != folder:
        raise ImportProblem(path, ref.line, f"{ref.label}: leads out of {ref.folder} through a symbolic link")
    try:
        return open_regular(ref.file)
    except ImportProblem as problem:
        raise ImportProblem(path, ref.line, f"{ref.label}: {problem.reason}") from None


def _spooled(checked, spool):
    """Put ``checked``'s bytes in the folder ``spool`` (once per checksum: workers may race, and
    write the same bytes); return what the plan keeps of it."""
    target = os.path.join(spool, checked.checksum)
    if not os.path.exists(target):
        partial = f"{target}.{os.getpid()}.part"
        with open(partial, "wb") as out:
            out.write(checked.data)
        os.replace(partial, target)
    return (checked.checksum, checked.extension, checked.facts, target)


def with_picture_ids(body, placed, ids):
    """``body`` with ``PHOTO_PLACEHOLDER`` at each (offset, picture) of ``placed`` made ``photo:ID``,
    the ids in the same order."""
    for (offset, _), picture_id in sorted(zip(placed, ids, strict=True), key=lambda item: -item[0][0]):
        end = offset + len(PHOTO_PLACEHOLDER)
        if body[offset:end] != PHOTO_PLACEHOLDER:  # a bug, never input: fail the import loudly
            raise ValueError(f"no picture placeholder at offset {offset} of the body")
        body = f"{body[:offset]}photo:{picture_id}{body[end:]}"
    return body
