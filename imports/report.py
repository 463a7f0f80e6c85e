"""What an import did: created, updated, unchanged and skipped, per kind of row, each
skip with its reason; and a progress line while it runs."""

import sys
import threading
import time
from collections import Counter, defaultdict

# Each skipped record is listed by id up to this many per reason; past it, the count.
LISTED_PER_REASON = 20


class Report:
    def __init__(self):
        # (kind, outcome) -> count, e.g. ("story", "created") -> 12
        self.counts: Counter = Counter()
        # (kind, reason) -> ids of the records skipped for it (the first few)
        self.skipped: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.skip_counts: Counter = Counter()
        self.notes: list[str] = []
        # The file's reader and the database's writer count from two threads
        # (imports.pipeline).
        self._lock = threading.Lock()

    def count(self, kind: str, outcome: str, number: int = 1) -> None:
        """outcome: "created", "updated", "unchanged", or a word for what was counted
        and not imported (e.g. "not imported")."""
        with self._lock:
            self.counts[kind, outcome] += number

    def skip(
        self, kind: str, reason: str, record_id: str = "", *, number: int = 1, every: bool = False
    ) -> None:
        """A record left out (or `number` of them), and why: counted, and listed by id
        (the first few; `every` one where the reader must see them all to act, such as
        the links of threads that match no story)."""
        with self._lock:
            self.skip_counts[kind, reason] += number
            listed = self.skipped[kind, reason]
            if record_id and (every or len(listed) < LISTED_PER_REASON):
                listed.append(record_id)

    def note(self, line: str) -> None:
        self.notes.append(line)

    @property
    def changed(self) -> bool:
        return any(number for (_, outcome), number in self.counts.items() if outcome in CHANGES)

    def lines(self) -> list[str]:
        lines = []
        kinds = sorted({kind for kind, _ in self.counts} | {kind for kind, _ in self.skip_counts})
        for kind in kinds:
            outcomes = [
                f"{number:,} {outcome}"
                for (each, outcome), number in sorted(self.counts.items())
                if each == kind and number
            ]
            skipped = sum(n for (each, _), n in self.skip_counts.items() if each == kind)
            if skipped:
                outcomes.append(f"{skipped:,} skipped")
            lines.append(f"{kind}: {', '.join(outcomes) or 'none'}")
            for (each, reason), number in sorted(self.skip_counts.items()):
                if each != kind:
                    continue
                ids = self.skipped[each, reason]
                listed = f" ({', '.join(ids)}{', …' if number > len(ids) else ''})" if ids else ""
                lines.append(f"  skipped {number:,}: {reason}{listed}")
        lines += self.notes
        if not self.changed and not self.skip_counts:
            lines.append("Nothing changed: everything in the file is already here as it is.")
        elif not self.changed:
            lines.append("Nothing changed.")
        return lines


CHANGES = {"created", "updated", "taken down"}


class Progress:
    """A progress bar on a terminal; elsewhere (a log, CI), a quiet line now and then."""

    EVERY_SECONDS = 10.0

    def __init__(self, label: str, total_bytes: int, stream=None):
        self.label, self.total = label, max(total_bytes, 1)
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.started = self.last = time.monotonic()

    def show(self, done_bytes: int, rows: int) -> None:
        now = time.monotonic()
        if not self.terminal and now - self.last < self.EVERY_SECONDS:
            return
        self.last = now
        share = min(done_bytes / self.total, 1.0)
        elapsed = now - self.started
        if self.terminal:
            bar = "#" * int(share * 30)
            self.stream.write(
                f"\r{self.label} [{bar:<30}] {share:4.0%} {rows:>10,} rows {elapsed:6.0f}s"
            )
        else:
            self.stream.write(
                f"{self.label}: {share:.0%} of the file, {rows:,} rows, {elapsed:.0f}s\n"
            )
        self.stream.flush()

    def finish(self, rows: int) -> None:
        if self.terminal:
            self.last = 0.0
            self.show(self.total, rows)
            self.stream.write("\n")
            self.stream.flush()
