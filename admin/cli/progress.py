"""Progress bars for long CLI work, on stderr so stdout stays parseable."""

from __future__ import annotations

from types import TracebackType

from tqdm import tqdm


class StageBars:
    """A ``progress(stage, done, total)`` callback that draws one bar per stage."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(total=total, desc=f"{stage:>10}", unit="",
                                           leave=True, dynamic_ncols=True)
        bar.update(done - bar.n)

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for bar in self._bars.values():
            bar.close()
