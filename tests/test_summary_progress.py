"""Summarize's progress bar: the number of model calls is planned before the first call."""

from __future__ import annotations

from lmlab.text_chunks import chunk_text, map_reduce, planned_calls

WORDS_PER_SUMMARY = 12
CHUNK_WORDS = 40


def words(text: str) -> int:
    return len(text.split())


def first_words(batch: list[str]) -> list[str]:
    """A summary of at most WORDS_PER_SUMMARY words: the first words of each part."""
    return [" ".join(part.split()[:WORDS_PER_SUMMARY]) + "." for part in batch]


def long_text() -> str:
    return " ".join(f"Sentence number {i} tells a short story about the sea and ships."
                    for i in range(30))


def test_the_total_stays_the_same_through_every_round():
    chunks = chunk_text(long_text(), words, CHUNK_WORDS)
    assert len(chunks) > 4
    reports: list[tuple[int, int, str]] = []
    calls: list[int] = []

    def summarize(batch):
        calls.append(len(batch))
        return first_words(batch)

    planned = planned_calls(len(chunks), WORDS_PER_SUMMARY, CHUNK_WORDS)
    _, rounds = map_reduce(chunks, summarize, lambda joined: chunk_text(joined, words, CHUNK_WORDS),
                           lambda done, total, label: reports.append((done, total, label)),
                           planned=planned)
    assert len(rounds) >= 2  # the partial summaries needed a second round
    totals = {total for _, total, _ in reports}
    assert totals == {planned}, reports  # no jump from 5 to 7 halfway through
    assert sum(calls) + 1 <= planned
    dones = [done for done, _, _ in reports]
    assert dones == sorted(dones) and dones[-1] == sum(calls)


def test_without_a_plan_the_total_would_grow():
    """The old accounting (one round assumed) is what the plan replaces."""
    chunks = chunk_text(long_text(), words, CHUNK_WORDS)
    reports = []
    map_reduce(chunks, first_words, lambda joined: chunk_text(joined, words, CHUNK_WORDS),
               lambda done, total, label: reports.append(total))
    assert len(set(reports)) > 1


def test_a_short_text_plans_one_call():
    assert planned_calls(1, 60, 512) == 1
    assert planned_calls(3, 50, 512) == 4
