"""Model parts stored by pickle without what is rebuilt from the rest (lookup tables, runtime helpers)."""

from __future__ import annotations


class RebuiltOnLoad:
    """Pickles without the attributes named in ``_derived``; ``_rebuild`` recreates them after loading.

    A stored model then holds only what was fitted, never the layout of its fast paths, so a newer
    release loads the versions an older one stored.
    """

    _derived: tuple[str, ...] = ()

    def _rebuild(self) -> None:
        raise NotImplementedError

    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key not in self._derived}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._rebuild()
