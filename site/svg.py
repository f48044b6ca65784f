"""A small SVG plotting module: scatter and line charts on linear or log axes, drawn at build time.

Why not matplotlib: the site ships static, inline SVG that must be readable without JavaScript, carry
its own <title>/<desc> for screen readers, link points to their records and escape every string it is
given. Those needs are easier to meet with a hundred lines of string building than by post-processing
a general plotting library's output, and it keeps a heavy dependency out of the build.

Coordinates are given in data units. A log axis takes positive values and is drawn in log10 space;
values that fall outside an axis's domain are clamped to its edge and drawn with an arrow marker, so a
reader can see that a point exists beyond the plotted range instead of having it silently vanish.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

Shape = str  # "circle" | "ring" | "square" | "diamond" | "triangle" | "triangle-down" | "star"


def esc(text: object) -> str:
    """Escape text for XML content and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def pow10_label(k: int, suffix: str = "") -> str:
    """'1', '10', '100' for small exponents, '10ⁿ' beyond: the way log axes are usually labelled."""
    if 0 <= k <= 2:
        return f"{10**k}{suffix}"
    if k == -1:
        return f"0.1{suffix}"
    if k == -2:
        return f"0.01{suffix}"
    return f"10{str(k).translate(SUPERSCRIPT)}{suffix}"


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step giving about `target` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag  # pragma: no cover - the loop always returns


def _num(v: float) -> str:
    """A compact coordinate: two decimals are far below a pixel."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


@dataclass
class Axis:
    """One axis: domain in data units, log or linear, and how its ticks are labelled.

    `zero_band` (log axes only) reserves a narrow band before the axis for values equal to zero, which a
    log scale cannot show: prompting costs nothing to adopt, and hiding those points would hide most of
    the data. The band is labelled '0' and separated from the log range by a break.
    """

    label: str
    lo: float
    hi: float
    log: bool = False
    tick_label: Callable[[float], str] | None = None
    zero_band: bool = False

    def __post_init__(self) -> None:
        if self.log and (self.lo <= 0 or self.hi <= 0):
            raise ValueError("a log axis needs a positive domain")
        if not self.hi > self.lo:
            raise ValueError("an axis needs hi > lo")

    def t(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def ticks(self) -> list[tuple[float, str]]:
        """Tick positions (data units) and labels."""
        if self.log:
            a, b = math.ceil(math.log10(self.lo) - 1e-9), math.floor(math.log10(self.hi) + 1e-9)
            n = b - a + 1
            step = 1 if n <= 9 else math.ceil(n / 8)
            ks = [k for k in range(a, b + 1) if k % step == 0]  # multiples of the step: 10⁰ stays a tick
            fmt = self.tick_label or (lambda v: pow10_label(round(math.log10(v))))
            return [(10.0**k, fmt(10.0**k)) for k in ks]
        step = nice_step(self.hi - self.lo)
        start = math.ceil(self.lo / step - 1e-9) * step
        out = []
        v = start
        while v <= self.hi + step * 1e-9:
            label = self.tick_label(v) if self.tick_label else f"{round(v, 10):g}"
            out.append((v, label))
            v += step
        return out


@dataclass
class Mark:
    x: float
    y: float
    shape: Shape
    color: str
    filled: bool = True
    size: float = 4.0
    title: str | None = None
    href: str | None = None
    label: str | None = None
    dx: float = 0.0  # horizontal offset in pixels (jitter inside the zero band, where data x is 0)
    label_below: bool = False  # the label under the mark, not above it (two labelled marks close together)


@dataclass
class Chart:
    """A chart under construction; `render()` returns the <svg> element as a string."""

    chart_id: str
    title: str
    desc: str
    x: Axis
    y: Axis
    width: int = 720
    height: int = 420
    margin: tuple[int, int, int, int] = (20, 20, 56, 72)  # top, right, bottom, left
    legend: list[tuple[str, str, Shape, bool]] = field(default_factory=list)  # label, color, shape, filled
    described_by: str | None = None
    """The id of an element on the page (a figcaption) that already says what `desc` would: the chart
    points to it rather than carrying the same text twice (and a screen reader reading it twice)."""
    _body: list[str] = field(default_factory=list)
    _marks: list[Mark] = field(default_factory=list)

    # --- geometry ---------------------------------------------------------------------------------

    @property
    def _band(self) -> float:
        return 34.0 if self.x.zero_band else 0.0

    def _plot_box(self) -> tuple[float, float, float, float]:
        top, right, bottom, left = self.margin
        legend_h = 20.0 * len(self._legend_rows()) + 6 if self.legend else 0.0
        return left + self._band, top, self.width - right, self.height - bottom - legend_h

    def px(self, v: float) -> tuple[float, bool]:
        """Pixel x of data value `v`, and whether it was clamped to the edge."""
        x0, _, x1, _ = self._plot_box()
        if self.x.zero_band and v == 0:
            return x0 - self._band / 2 - 4, False
        return self._scale(v, self.x, x0, x1)

    def py(self, v: float) -> tuple[float, bool]:
        _, y0, _, y1 = self._plot_box()
        p, clamped = self._scale(v, self.y, y1, y0)
        return p, clamped

    @staticmethod
    def _scale(v: float, axis: Axis, p0: float, p1: float) -> tuple[float, bool]:
        clamped = False
        if axis.log and v <= 0:
            v, clamped = axis.lo, True
        if v < axis.lo:
            v, clamped = axis.lo, True
        elif v > axis.hi:
            v, clamped = axis.hi, True
        lo, hi, tv = axis.t(axis.lo), axis.t(axis.hi), axis.t(v)
        return p0 + (tv - lo) / (hi - lo) * (p1 - p0), clamped

    # --- drawing ----------------------------------------------------------------------------------

    def line(
        self,
        points: Sequence[tuple[float, float]],
        *,
        color: str = "#444",
        width: float = 2.0,
        dash: str | None = None,
        css: str | None = None,
    ) -> None:
        """A polyline through data points (clamped to the plot area)."""
        if len(points) < 2:
            return
        coords = " ".join(f"{_num(self.px(x)[0])},{_num(self.py(y)[0])}" for x, y in points)
        attrs = f' stroke-dasharray="{dash}"' if dash else ""
        cls = f' class="{esc(css)}"' if css else ""
        self._body.append(
            f'<polyline points="{coords}" fill="none" stroke="{esc(color)}" stroke-width="{width}"{attrs}{cls}/>'
        )

    def text(self, x: float, y: float, text: str, *, anchor: str = "start", dx: float = 0, dy: float = 0) -> None:
        """A label at a data position, offset in pixels."""
        px, _ = self.px(x)
        py, _ = self.py(y)
        self._body.append(
            f'<text x="{_num(px + dx)}" y="{_num(py + dy)}" text-anchor="{anchor}" class="lbl">{esc(text)}</text>'
        )

    def mark(self, m: Mark) -> None:
        self._marks.append(m)

    def _shape(self, m: Mark, cx: float, cy: float, clamped_y: int) -> str:
        fill = esc(m.color) if m.filled else "#fff"
        stroke = esc(m.color)
        s = m.size
        common = f'fill="{fill}" stroke="{stroke}" class="m"'  # stroke width from the stylesheet: a class is shorter
        if clamped_y:  # an arrow pointing off the chart, up or down
            d = -1 if clamped_y > 0 else 1
            tip = cy + d * s * 1.6
            return (
                f'<path d="M{_num(cx - s)},{_num(cy)} L{_num(cx + s)},{_num(cy)} L{_num(cx)},{_num(tip)} Z" {common}/>'
            )
        if m.shape == "square":
            return (
                f'<rect x="{_num(cx - s)}" y="{_num(cy - s)}" width="{_num(2 * s)}" height="{_num(2 * s)}" {common}/>'
            )
        if m.shape == "diamond":
            k = s * 1.3
            corners = ((cx, cy - k), (cx + k, cy), (cx, cy + k), (cx - k, cy))
            pts = " ".join(f"{_num(a)},{_num(b)}" for a, b in corners)
            return f'<polygon points="{pts}" {common}/>'
        if m.shape == "triangle":
            k = s * 1.25
            pts = f"{_num(cx)},{_num(cy - k)} {_num(cx + k)},{_num(cy + k * 0.8)} {_num(cx - k)},{_num(cy + k * 0.8)}"
            return f'<polygon points="{pts}" {common}/>'
        if m.shape == "triangle-down":
            k = s * 1.25
            pts = f"{_num(cx)},{_num(cy + k)} {_num(cx + k)},{_num(cy - k * 0.8)} {_num(cx - k)},{_num(cy - k * 0.8)}"
            return f'<polygon points="{pts}" {common}/>'
        if m.shape == "star":
            pts = []
            for i in range(10):
                r = s * 1.6 if i % 2 == 0 else s * 0.7
                a = math.pi / 2 + i * math.pi / 5
                pts.append(f"{_num(cx + r * math.cos(a))},{_num(cy - r * math.sin(a))}")
            return f'<polygon points="{" ".join(pts)}" {common}/>'
        if m.shape == "ring":  # an outline around another mark, which stays visible inside it
            circle = f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s)}"'
            return f'{circle} fill="none" stroke="{stroke}" stroke-width="2"/>'
        return f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s)}" {common}/>'

    def _render_mark(self, m: Mark) -> str:
        cx, _ = self.px(m.x)
        cx += m.dx
        cy, clamped = self.py(m.y)
        direction = 0
        if clamped:
            direction = 1 if (m.y > self.y.hi) else -1
        shape = self._shape(m, cx, cy, direction)
        inner = shape
        if m.title:
            inner = f"<title>{esc(m.title)}</title>{shape}"
        if m.label:
            ly = cy + 18 if m.label_below else cy - 8
            inner += f'<text x="{_num(cx + 8)}" y="{_num(ly)}" class="lbl">{esc(m.label)}</text>'
        if m.href:
            return f'<a href="{esc(m.href)}">{inner}</a>'
        return f"<g>{inner}</g>"

    def _axes(self) -> list[str]:
        x0, y0, x1, y1 = self._plot_box()
        out = [f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" class="frame"/>']
        grid: list[str] = []  # every grid line in one path: a <line> each made up a third of a small chart
        for v, label in self.x.ticks():
            p, _ = self.px(v)
            if self.x.zero_band and p - x0 < 12:
                label = ""  # would collide with the zero band's own label
            grid.append(f"M{_num(p)} {_num(y0)}V{_num(y1)}")
            if label:
                out.append(
                    f'<text x="{_num(p)}" y="{_num(y1 + 18)}" text-anchor="middle" class="tick">{esc(label)}</text>'
                )
        for v, label in self.y.ticks():
            p, _ = self.py(v)
            grid.append(f"M{_num(x0)} {_num(p)}H{_num(x1)}")
            tx = x0 - self._band - 8
            out.append(f'<text x="{_num(tx)}" y="{_num(p + 4)}" text-anchor="end" class="tick">{esc(label)}</text>')
        out.insert(1, f'<path d="{"".join(grid)}" class="grid"/>')
        if self.x.zero_band:
            bx = x0 - self._band
            out.append(
                f'<rect x="{_num(bx)}" y="{_num(y0)}" width="{_num(self._band - 8)}" '
                f'height="{_num(y1 - y0)}" class="frame"/>'
            )
            out.append(
                f'<text x="{_num(bx + (self._band - 8) / 2)}" y="{_num(y1 + 18)}" '
                'text-anchor="middle" class="tick">0</text>'
            )
        cx = (x0 + x1) / 2
        out.append(
            f'<text x="{_num(cx)}" y="{_num(y1 + 40)}" text-anchor="middle" class="axis">{esc(self.x.label)}</text>'
        )
        cy = (y0 + y1) / 2
        left = 16
        out.append(
            f'<text transform="translate({left},{_num(cy)}) rotate(-90)" text-anchor="middle" class="axis">'
            f"{esc(self.y.label)}</text>"
        )
        return out

    def _legend_rows(self) -> list[list[tuple[float, tuple[str, str, Shape, bool]]]]:
        """Legend entries flowed into rows that fit the chart width (text width estimated per character)."""
        rows: list[list[tuple[float, tuple[str, str, Shape, bool]]]] = [[]]
        x = float(self.margin[3])
        for entry in self.legend:
            w = 24 + 6.2 * len(entry[0])
            if rows[-1] and x + w > self.width - self.margin[1]:
                rows.append([])
                x = float(self.margin[3])
            rows[-1].append((x, entry))
            x += w + 14
        return rows

    def _legend(self) -> list[str]:
        if not self.legend:
            return []
        _, _, _, y1 = self._plot_box()
        top = y1 + 56
        out = []
        for r, row in enumerate(self._legend_rows()):
            for x, (label, color, shape, filled) in row:
                cx, cy = x + 8, top + r * 20
                out.append(self._shape(Mark(0, 0, shape, color, filled), cx, cy, 0))
                out.append(f'<text x="{_num(cx + 12)}" y="{_num(cy + 4)}" class="lbl">{esc(label)}</text>')
        return out

    def render(self) -> str:
        tid, did = f"{self.chart_id}-title", f"{self.chart_id}-desc"
        if self.described_by:
            aria, desc = f'aria-labelledby="{esc(tid)}" aria-describedby="{esc(self.described_by)}"', ""
        else:
            aria, desc = f'aria-labelledby="{esc(tid)} {esc(did)}"', f'<desc id="{esc(did)}">{esc(self.desc)}</desc>'
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="ptedb-chart" viewBox="0 0 {self.width} {self.height}" '
            f'role="img" {aria} id="{esc(self.chart_id)}">',
            f'<title id="{esc(tid)}">{esc(self.title)}</title>',
            desc,
            f'<rect width="{self.width}" height="{self.height}" class="bg"/>',
            *self._axes(),
            *self._body,
            *(self._render_mark(m) for m in self._marks),
            *self._legend(),
            "</svg>",
        ]
        return "".join(parts)


def log_domain(
    values: Iterable[float],
    *,
    pad: float = 0.25,
    lo_cap: float | None = None,
    hi_cap: float | None = None,
    min_span: float = 1.0,
) -> tuple[float, float]:
    """A log domain covering the positive `values`, padded, snapped outward to whole decades.

    `lo_cap`/`hi_cap` bound the domain so that one absurd extrapolation (CEG 10⁴²) does not squash every
    other point into a line; points beyond are drawn clamped, with an arrow.
    """
    logs = [math.log10(v) for v in values if v > 0 and math.isfinite(v)]
    if not logs:
        return 0.1, 10.0
    a, b = min(logs) - pad, max(logs) + pad
    if b - a < min_span:
        mid = (a + b) / 2
        a, b = mid - min_span / 2, mid + min_span / 2
    a, b = math.floor(a), math.ceil(b)
    if lo_cap is not None:
        a = max(a, math.floor(math.log10(lo_cap)))
    if hi_cap is not None:
        b = min(b, math.ceil(math.log10(hi_cap)))
    if b <= a:
        b = a + 1
    return 10.0**a, 10.0**b


def linear_domain(values: Iterable[float], *, pad_frac: float = 0.08) -> tuple[float, float]:
    """A linear domain covering `values`, padded and rounded to the tick step."""
    vs = [v for v in values if math.isfinite(v)]
    if not vs:
        return 0.0, 1.0
    a, b = min(vs), max(vs)
    if b - a == 0:
        a, b = a - 1, b + 1
    pad = (b - a) * pad_frac
    a, b = a - pad, b + pad
    step = nice_step(b - a)
    return math.floor(a / step) * step, math.ceil(b / step) * step
