"""Results cache: a file's findings are reused while its content, the settings, the rule
set (with plugin versions) and the project index are all unchanged.

One JSON file per cache directory maps each linted file (by absolute path) to the key its
results were computed under; a file whose key differs is linted again.

The cache is input that anyone could have written, so it is checked, never believed:
- each entry carries an HMAC made with a random key kept in the user's own cache directory,
  so a cache committed to a repository, copied from another machine or edited by hand is
  linted again (an emptied entry would otherwise make a fresh clone pass);
- a cache directory that is a symbolic link, holds one, or is tracked by git is not used at
  all, with a warning: writing through a link lands outside the tree;
- a file that cannot be parsed, however it fails, is discarded with a warning.
Runs sharing a cache (pre-commit starts one per batch of files, in parallel) merge their
entries under a lock when they write; entries of files that no longer exist go then.

A second table, "sources", lets a warm run skip reading unchanged files: per file, its
status when it was last read (size, mtime_ns, ctime_ns, inode, as ruff and git compare
them) and the sha256 of its bytes. A file whose status is exactly the recorded one is not
read again. What the project index found in a file (its factories and `ast` facts, the
bulk of the cache) is kept by content digest in a second file, scans-v1.json, read only by
a run that builds the index; a third table, "indexes", maps the state of a project's files
(every path with its status, and the code of the index) to the index's fingerprint, so
that a run in which nothing changed neither reads the scans nor builds the summaries. The
last index built is kept in index-v1.pickle (HMAC-checked before anything of it is unpickled;
its modules' facts and summaries are unpickled when a run first reads them), for
a run over the same files that must lint (other rules, the flake8 plugin's workers) and, by
its scans of the files whose status did not change, for a run after an edit. A file modified less than _RACY_SECONDS
before it was read is not recorded: a second write within the file system's timestamp
granularity could keep size and mtime (git's "racily clean" entries), and ctime changes
with every write, rename into place and `touch`, so no edit keeps all four.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

# platformdirs, subprocess, tempfile, secrets and shutil are imported where they
# are used: `session-lint --version` and `--no-cache` runs need none of them.
from ._version import __version__
from .fixes import fix_from_json, fix_to_json
from .diagnostics import INTERNAL_ERROR, Diagnostic, Location

CACHE_DIR_NAME = ".session_lint_cache"
_FORMAT = 1
_RESULTS = f"results-v{_FORMAT}.json"
_SCANS = f"scans-v{_FORMAT}.json"
# The last project index built with this cache, pickled: a run over the same files in the
# same state (the flake8 plugin's workers, a run with other rules) loads it instead of
# building it. Checked with the HMAC before it is unpickled. Its modules' facts and large
# tables are pickled apart and unpickled when a run first reads them (project/kept_parts.py;
# the magic line names that layout: a file of the earlier one is a miss, then replaced).
_INDEX = f"index-v{_FORMAT}.pickle"
_INDEX_MAGIC = b"session-lint project index in parts\n"
# Index fingerprints kept per cache (one per set of files linted with it: a project, a
# subdirectory, pre-commit's batches); the least recently used go first.
_MAX_INDEXES = 32
_LOCK = ".lock"
_GITIGNORE = ".gitignore"
# https://bford.info/cachedir/: backup tools (tar --exclude-caches, borg, restic) skip a
# directory holding this file, whose first line must be exactly this signature.
_CACHEDIR_TAG = "CACHEDIR.TAG"
_CACHEDIR_TAG_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                      "# This file is a cache directory tag created by session-lint.\n"
                      "# For information about cache directory tags, see:\n"
                      "#\thttps://bford.info/cachedir/\n")
_KEY_FILE = "cache-key"
_KEY_BYTES = 32
# A write merges and rewrites one JSON file, well under a second even for 20,000 files:
# a lock held this long belongs to a run that hangs.
_LOCK_TIMEOUT = 30.0
_OUTSIDE_PROJECTS = "outside-projects"
# A cache of a directory outside any project that no run has written for this long belongs
# to a directory that is most likely gone (a temporary one, often): it is removed.
_FORGET_AFTER = 30 * 24 * 3600

# A file modified this recently when it was read may be written again within the same
# timestamp tick (2 s on FAT, 1 s on some network file systems): its status is not recorded.
_RACY_SECONDS = 3.0

Entry = Dict[str, object]
# size, mtime_ns, ctime_ns, inode
SourceStatus = Tuple[int, int, int, int]


def source_status(status: os.stat_result) -> SourceStatus:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def run_key(settings_fingerprint: str, rule_codes: List[str], rule_versions: str, index_fingerprint: str) -> str:
    """Everything besides the file's own bytes that decides its findings."""
    text = json.dumps([_FORMAT, __version__, settings_fingerprint, sorted(rule_codes), rule_versions,
                       index_fingerprint])
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_key(data: bytes, run: str) -> str:
    return digest_key(content_digest(data), run)


def digest_key(digest: str, run: str) -> str:
    """The key of a file's results, from the digest of its bytes: what `file_key` gives."""
    return hashlib.sha256(f"{run}\0{digest}".encode()).hexdigest()


def user_cache_directory() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("session-lint", appauthor=False))


def default_cache_directory(root: Path, is_project: bool) -> Path:
    """`.session_lint_cache` at the project root; outside a project (a run from the home
    directory or /tmp), a directory of the user cache, so that no tree is littered."""
    if is_project:
        return root / CACHE_DIR_NAME
    digest = hashlib.sha256(os.fsencode(str(root))).hexdigest()[:24]
    return user_cache_directory() / _OUTSIDE_PROJECTS / digest


def _forget_old_siblings(directory: Path) -> None:
    import shutil

    cutoff = time.time() - _FORGET_AFTER
    try:
        siblings = list(os.scandir(directory.parent))
    except OSError:
        return
    for sibling in siblings:
        try:
            if (sibling.is_dir(follow_symlinks=False) and sibling.path != str(directory)
                    and os.stat(os.path.join(sibling.path, _RESULTS)).st_mtime < cutoff):
                shutil.rmtree(sibling.path)
        except OSError:
            pass  # in use, already gone, or not ours to judge


def machine_key() -> bytes:
    """The random key of this user on this machine, made on first use."""
    path = user_cache_directory() / _KEY_FILE
    for _ in range(2):
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            _make_key(path, damaged=False)
            continue
        if len(key) == _KEY_BYTES:
            return key
        _make_key(path, damaged=True)
    raise OSError(f"{path} is not a session-lint cache key")


def _make_key(path: Path, damaged: bool) -> None:
    import secrets
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-key-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(secrets.token_bytes(_KEY_BYTES))
        if damaged:
            os.replace(temporary, path)
        else:
            try:
                # A link appears complete or not at all, and never replaces the key a
                # parallel first run made meanwhile (whose entries would then not verify).
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                os.replace(temporary, path)
    finally:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def _tracked_by_git(directory: Path) -> bool:
    """Whether git tracks a file of `directory` (then every clone shares the cache)."""
    import subprocess

    try:
        real = directory.resolve()
        if not any((parent / ".git").exists() for parent in (real, *real.parents)):
            return False  # not in a work tree: spare the subprocess
        listed = subprocess.run(["git", "ls-files", "-z", "--", "."], cwd=real, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False  # no git, or a repository git refuses to read: the HMAC still protects
    return listed.returncode == 0 and bool(listed.stdout)


class ResultCache:
    def __init__(self, directory: Path, key: Optional[bytes] = None) -> None:
        self.directory = directory
        self.path = directory / _RESULTS
        # Problems met while opening the cache, one line each; the run reports them.
        self.warnings: List[str] = []
        self._entries: Dict[str, Entry] = {}
        self._updates: Dict[str, Entry] = {}
        self._sources: Dict[str, Entry] = {}
        self._source_updates: Dict[str, Entry] = {}
        self._indexes: Dict[str, Entry] = {}
        self._index_updates: Dict[str, Entry] = {}
        self._scans: Optional[Dict[str, Entry]] = None  # read on first use
        self._scan_updates: Dict[str, Entry] = {}
        self._index_pickle: Optional[bytes] = None  # to write
        self._key = b""
        problem = self._refusal(ask_git=True)
        if problem is None:
            try:
                self._key = key if key is not None else machine_key()
            except OSError as error:
                problem = (f"cannot keep the cache key in {user_cache_directory()}: {error.strerror or error}; "
                           "the cache is not used")
        self.usable = problem is None
        if problem is not None:
            self.warnings.append(problem)
        else:
            self._entries, self._sources, self._indexes = self._read(report=True)

    def take_warnings(self) -> List[str]:
        """The problems met opening the cache, once (a cache may serve several runs)."""
        taken, self.warnings = self.warnings, []
        return taken

    def _refusal(self, ask_git: bool) -> Optional[str]:
        shown = _display(self.directory)
        if os.path.islink(self.directory):
            return f"the cache directory {shown} is a symbolic link; it is not used"
        for name in (_GITIGNORE, _CACHEDIR_TAG, _LOCK, _RESULTS, _SCANS, _INDEX):
            if os.path.islink(self.directory / name):
                return f"the cache directory {shown} holds a symbolic link ({name}); it is not used"
        if ask_git and self.directory.is_dir() and _tracked_by_git(self.directory):
            return (f"the cache directory {shown} is tracked by git; it is not used "
                    f"(untrack it: git rm -r --cached {shown})")
        return None

    def _read(self, report: bool) -> Tuple[Dict[str, Entry], Dict[str, Entry], Dict[str, Entry]]:
        """The results, sources and indexes tables of the cache file."""
        data = self._load(self.path, report, "files")
        if data is None:
            return {}, {}, {}
        return (_table(data, "files"), _table(data, "sources"), _table(data, "indexes"))

    def _load(self, path: Path, report: bool, table: str) -> Optional[dict]:
        """The JSON object of a cache file (format checked, `table` a dict); None, with one
        warning line when `report`, for a file that is absent, unreadable or not ours."""
        try:
            with open(path, "rb") as stream:
                raw = stream.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            if report:
                self.warnings.append(f"cannot read the cache {_display(path)}: {error.strerror or error}")
            return None
        reason = None
        try:
            data = json.loads(raw)
        except RecursionError:
            reason = "nested too deeply"
        except ValueError as error:
            reason = f"not JSON: {error}"
        except Exception as error:  # whatever the bytes are, a bad cache must not end the run
            reason = f"{type(error).__name__}: {error}"
        else:
            if not (isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get(table), dict)):
                reason = "not a session-lint cache of this version"
        if reason is not None:
            if report:
                self.warnings.append(f"the cache {_display(path)} is unreadable ({reason}); it is discarded")
            return None
        return data

    def _mac(self, path: str, key: str, diagnostics: object) -> str:
        # Canonical JSON of exactly what is stored, so the check survives the round trip.
        text = json.dumps([path, key, diagnostics], ensure_ascii=True, separators=(",", ":"))
        return hmac.new(self._key, text.encode("ascii"), hashlib.sha256).hexdigest()

    def get(self, filename: str, key: str) -> Optional[List[Diagnostic]]:
        if not self.usable:
            return None
        path = os.path.abspath(filename)
        entry = self._entries.get(path)
        if entry is None or entry.get("key") != key:
            return None
        diagnostics = entry.get("diagnostics")
        mac = entry.get("mac")
        try:
            if not (isinstance(mac, str) and hmac.compare_digest(mac, self._mac(path, key, diagnostics))):
                return None
            return [_decode(item, filename) for item in diagnostics]  # type: ignore[union-attr]
        except Exception:  # an entry that cannot be checked or decoded is a miss, however it fails
            return None

    def put(self, filename: str, key: str, diagnostics: List[Diagnostic]) -> None:
        if not self.usable or any(d.code == INTERNAL_ERROR for d in diagnostics):
            return  # a crash may be fixed by the next release or be transient: never cache it
        path = os.path.abspath(filename)
        encoded = [_encode(d) for d in diagnostics]
        entry: Entry = {"key": key, "diagnostics": encoded, "mac": self._mac(path, key, encoded)}
        if self._entries.get(path) != entry:  # a warm run then writes nothing
            self._updates[path] = entry
            self._entries[path] = entry

    def known_source(self, filename: str, status: SourceStatus, scanner: str) -> Optional[str]:
        """The sha256 of the bytes recorded for `filename` when its status was exactly
        `status` (and the index scanned by `scanner`); None when the file must be read."""
        if not self.usable:
            return None
        path = os.path.abspath(filename)
        entry = self._sources.get(path)
        if entry is None:
            return None
        digest, mac = entry.get("digest"), entry.get("mac")
        try:
            if entry.get("status") != list(status) or entry.get("scanner") != scanner or not isinstance(digest, str):
                return None
            if not (isinstance(mac, str) and hmac.compare_digest(mac, self._mac(path, [status, scanner, digest], None))):
                return None
        except Exception:  # an entry that cannot be checked is a miss, however it fails
            return None
        return digest

    def record_source(self, filename: str, status: SourceStatus, scanner: str, digest: str, read_at: float) -> None:
        """Remember that `filename` held the bytes of `digest` when it had `status` (read at
        time `read_at`)."""
        if not self.usable or not recordable(status, read_at):
            return  # modified moments before it was read: a same-size rewrite may follow unseen
        path = os.path.abspath(filename)
        entry: Entry = {"status": list(status), "scanner": scanner, "digest": digest,
                        "mac": self._mac(path, [list(status), scanner, digest], None)}
        if self._sources.get(path) != entry:
            self._source_updates[path] = entry
            self._sources[path] = entry

    def known_scan(self, filename: str, digest: str, scanner: str) -> Optional[object]:
        """What the index scanner `scanner` found in `filename` when it held the bytes of
        `digest` (JSON values, see `project_index.encode_scan`), or None."""
        if not self.usable:
            return None
        if self._scans is None:
            data = self._load(self.directory / _SCANS, True, "scans")
            self._scans = _table(data, "scans") if data is not None else {}
        path = os.path.abspath(filename)
        entry = self._scans.get(path)
        if entry is None or entry.get("digest") != digest or entry.get("scanner") != scanner:
            return None
        scan, mac = entry.get("scan"), entry.get("mac")
        try:
            if not (isinstance(mac, str) and hmac.compare_digest(mac, self._mac(path, [digest, scanner], scan))):
                return None
        except Exception:
            return None
        return scan

    def record_scan(self, filename: str, digest: str, scanner: str, scan: object) -> None:
        if not self.usable:
            return
        path = os.path.abspath(filename)
        entry: Entry = {"digest": digest, "scanner": scanner, "scan": scan,
                        "mac": self._mac(path, [digest, scanner], scan)}
        if self._scans is not None and self._scans.get(path) == entry:
            return
        self._scan_updates[path] = entry
        if self._scans is not None:
            self._scans[path] = entry

    def known_index(self, state: str) -> Optional[str]:
        """The project index fingerprint recorded for the files' `state` (see runner), or None."""
        if not self.usable:
            return None
        entry = self._indexes.get(state)
        if entry is None:
            return None
        fingerprint, mac = entry.get("fingerprint"), entry.get("mac")
        try:
            if not (isinstance(fingerprint, str) and isinstance(mac, str)
                    and hmac.compare_digest(mac, self._mac("index", state, fingerprint))):
                return None
        except Exception:
            return None
        if time.time() - float(entry.get("used", 0)) > 3600:  # type: ignore[arg-type]
            self.record_index(state, fingerprint)  # keeps it among the recently used
        return fingerprint

    def record_index(self, state: str, fingerprint: str) -> None:
        if not self.usable:
            return
        entry: Entry = {"fingerprint": fingerprint, "used": int(time.time()),
                        "mac": self._mac("index", state, fingerprint)}
        self._index_updates[state] = entry
        self._indexes[state] = entry

    def load_index(self, state: Optional[str]) -> Optional[object]:
        """What `keep_index` saved for exactly `state` (for any state when None), or None."""
        if not self.usable:
            return None
        start = len(_INDEX_MAGIC) + 130
        try:
            with open(self.directory / _INDEX, "rb") as stream:
                head = stream.read(start)
                kept = head[len(_INDEX_MAGIC):][:64]
                if head[:len(_INDEX_MAGIC)] != _INDEX_MAGIC or (state is not None and kept != state.encode()):
                    return None  # another state's (the usual miss): not read further
                stream.seek(0)
                data = stream.read()
        except OSError:
            return None
        # A view, not a copy: the payload is 20 MB on a 2,491-file project, and each copy
        # of it (a slice, the HMAC's input joined) cost more in page faults than in copying.
        payload = memoryview(data)[start:]
        mac = head[len(_INDEX_MAGIC) + 65:len(_INDEX_MAGIC) + 129]
        signer = hmac.new(self._key, kept + b"\0", hashlib.sha256)
        signer.update(payload)
        if data[:start] != head or not hmac.compare_digest(mac, signer.hexdigest().encode()):
            return None
        import gc

        from .project import kept_pickle

        # Unpickling a large index allocates a million small objects: with the collector on,
        # its full collections took 2 s of a 2.3 s load on the standard library.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return kept_pickle.loads(payload)
        except Exception:  # signed by this user's key, but written by another version, say
            return None
        finally:
            if enabled:
                gc.enable()

    def keep_index(self, state: str, index: object) -> None:
        """Save `index` (picklable) for `state` with the next `save`; nothing when it cannot be pickled."""
        if not self.usable or len(state) != 64:
            return
        import gc

        from .project import kept_pickle

        enabled = gc.isenabled()
        gc.disable()
        try:
            payload = kept_pickle.dumps(index)
        except Exception:
            return
        finally:
            if enabled:
                gc.enable()
        mac = hmac.new(self._key, state.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()
        self._index_pickle = _INDEX_MAGIC + state.encode() + b"\n" + mac + b"\n" + payload

    def save(self) -> Optional[str]:
        """Merge this run's entries into the cache; returns a problem description instead of raising."""
        if not self.usable or not (self._updates or self._source_updates or self._index_updates
                                   or self._scan_updates or self._index_pickle):
            return None
        from .file_lock import LockTimeout, exclusive

        shown = _display(self.directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            problem = self._refusal(ask_git=False)  # the directory may have been swapped meanwhile
            if problem is not None:
                return problem
            self._write_once(_GITIGNORE, "# Created by session-lint.\n*\n")
            # Written on every save that finds it missing, so caches made by earlier versions get it too.
            self._write_once(_CACHEDIR_TAG, _CACHEDIR_TAG_TEXT)
            try:
                with exclusive(str(self.directory / _LOCK), _LOCK_TIMEOUT):
                    self._merge_and_write()
            except NotImplementedError:  # a file system without locks: merging still keeps most
                self._merge_and_write()
        except LockTimeout:
            return (f"the cache in {shown} stayed locked by another run for {_LOCK_TIMEOUT:.0f} s; "
                    "this run's results were not saved")
        except OSError as error:
            return f"cannot write the cache in {shown}: {error.strerror or error}"
        self._updates.clear()
        self._source_updates.clear()
        self._index_updates.clear()
        self._scan_updates.clear()
        self._index_pickle = None
        if self.directory.parent == user_cache_directory() / _OUTSIDE_PROJECTS:
            _forget_old_siblings(self.directory)
        return None

    def _write_once(self, name: str, text: str) -> None:
        """Create `name` in the cache directory with `text`, unless it is there already."""
        try:
            # O_EXCL never follows a link, dangling or not, planted where the file goes.
            handle = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)

    def _merge_and_write(self) -> None:
        entries, sources, indexes = self._read(report=False)  # what runs in parallel wrote since this one started
        entries.update(self._updates)
        sources.update(self._source_updates)
        indexes.update(self._index_updates)
        # Entries of deleted files, and of the relative-path format of earlier versions, go.
        kept = {path: entry for path, entry in entries.items()
                if "mac" in entry and os.path.isabs(path) and os.path.exists(path)}
        kept_sources = {path: entry for path, entry in sources.items()
                        if "mac" in entry and os.path.isabs(path) and os.path.exists(path)}
        recent = sorted(indexes.items(), key=lambda item: -_number(item[1].get("used")))[:_MAX_INDEXES]
        self._write(self.path, {"format": _FORMAT, "files": kept, "sources": kept_sources, "indexes": dict(recent)})
        if self._index_pickle is not None:
            self._write_bytes(self.directory / _INDEX, self._index_pickle)
        if self._scan_updates:
            data = self._load(self.directory / _SCANS, False, "scans")
            scans = _table(data, "scans") if data is not None else {}
            scans.update(self._scan_updates)
            kept_scans = {path: entry for path, entry in scans.items()
                          if "mac" in entry and os.path.isabs(path) and os.path.exists(path)}
            self._write(self.directory / _SCANS, {"format": _FORMAT, "scans": kept_scans})

    def _write(self, path: Path, data: dict) -> None:
        self._write_bytes(path, json.dumps(data).encode("utf-8"))

    def _write_bytes(self, path: Path, data: bytes) -> None:
        import tempfile

        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".results-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)  # atomic: readers never see half a file
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise


def recordable(status: SourceStatus, read_at: float) -> bool:
    """Was the file with `status` last modified long enough before `read_at` that a later
    same-size write in the same timestamp tick cannot go unseen?"""
    return status[1] <= (read_at - _RACY_SECONDS) * 1e9


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _table(data: dict, name: str) -> Dict[str, Entry]:
    table = data.get(name)  # absent in caches of earlier versions
    if not isinstance(table, dict):
        return {}
    return {key: entry for key, entry in table.items() if isinstance(entry, dict)}


def _encode(diagnostic: Diagnostic) -> List[object]:
    return [
        diagnostic.code, diagnostic.message, diagnostic.location.row, diagnostic.location.column,
        diagnostic.end_location.row, diagnostic.end_location.column, diagnostic.noqa_row,
        diagnostic.hint, diagnostic.url, list(diagnostic.statement_rows), fix_to_json(diagnostic.fix),
    ]


def _decode(item: List[object], filename: str) -> Diagnostic:
    code, message, row, column, end_row, end_column, noqa_row, hint, url, rows, *fix = item
    return Diagnostic(
        code=str(code), message=str(message), filename=filename,
        location=Location(int(row), int(column)),  # type: ignore[arg-type]
        end_location=Location(int(end_row), int(end_column)),  # type: ignore[arg-type]
        noqa_row=int(noqa_row),  # type: ignore[arg-type]
        hint=hint if isinstance(hint, str) else None,
        url=url if isinstance(url, str) else None,
        statement_rows=tuple(int(r) for r in rows),  # type: ignore[union-attr]
        fix=fix_from_json(fix[0]) if fix else None,
    )
