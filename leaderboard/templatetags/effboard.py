"""Template filters of the public site: percentages, durations, odd dictionary keys."""

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.1234 -> "12.3%"; a missing value is a dash."""
    if value is None:
        return "—"
    return f"{100 * value:.1f}%"


@register.filter
def duration(seconds: float | None) -> str:
    """A time in the unit that suits it, to 3 significant digits: 1.23e-05 -> "12.3 µs",
    0.0042 -> "4.2 ms", 2.5 -> "2.5 s"; a missing value is a dash."""
    if seconds is None:
        return "—"
    seconds = float(f"{seconds:.3g}")  # rounded first, so 0.99999 s is "1 s", not "1e+03 ms"
    unit, scale = next(
        ((unit, scale) for unit, scale in (("s", 1.0), ("ms", 1e-3)) if abs(seconds) >= scale),
        ("µs", 1e-6),
    )
    value = seconds / scale
    return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:.0f} {unit}"


@register.filter
def get(mapping: dict | None, key: str | int):
    """mapping[key], or None: for keys a template cannot spell, such as "eff@1"."""
    return (mapping or {}).get(key)


@register.filter
def status_label(status: str) -> str:
    return status.replace("_", " ")

