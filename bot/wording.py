"""English wording shared by the recap writer, the replies, the charts and the store; it imports nothing of ours."""


def ordinal(n: int) -> str:
    """Return n with its English ordinal suffix: '1st', '2nd', '3rd', '11th', '22nd'."""
    if n < 0:
        raise ValueError(f"no ordinal for a negative number: {n}")
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"
