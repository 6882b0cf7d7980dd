"""The one error type parsers raise for bad input, with where it was found."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """What was wrong with the input, and where: any of file, object index, line, field."""

    message: str
    file: str | None = None
    index: int | None = None  # position of the object in a bundle / event / list (0-based)
    line: int | None = None  # 1-based line in a text or CSV file
    field: str | None = None  # property or column name

    def __str__(self) -> str:
        where = [f"{self.file}" if self.file else "",
                 f"object {self.index}" if self.index is not None else "",
                 f"line {self.line}" if self.line is not None else "",
                 f"field '{self.field}'" if self.field else ""]
        place = ", ".join(w for w in where if w)
        return f"{place}: {self.message}" if place else self.message

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class InputError(ValueError):
    """Bad input. ``problems`` lists each thing wrong, with its location."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))
