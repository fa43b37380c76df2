"""The feedback trend as numbers for an SVG line chart; the template draws it.

Coordinates are computed here so the template stays declarative and nothing is
marked safe: every value that reaches the SVG is a number or escaped text.
"""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40
LOWEST, HIGHEST = 1, 5


@dataclass
class Series:
    key: str
    label: str
    points: list = field(default_factory=list)  # [(x, y, week_number, value)]

    @property
    def polyline(self):
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in self.points)


@dataclass
class Chart:
    width: int
    height: int
    series: list
    x_ticks: list  # [(x, label)]
    y_ticks: list  # [(y, label)]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def trend_chart(rows, ratings, labels=None):
    """rows: [{"week": Week, <rating>: average, ...}] for weeks with responses."""
    if not rows:
        return None
    labels = labels or {key: key.replace("_", " ").capitalize() for key in ratings}
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    count = len(rows)

    def x_at(index):
        if count == 1:
            return LEFT + plot_width / 2
        return LEFT + plot_width * index / (count - 1)

    def y_at(value):
        return TOP + plot_height * (HIGHEST - value) / (HIGHEST - LOWEST)

    series = []
    for key in ratings:
        line = Series(key=key, label=labels[key])
        for index, row in enumerate(rows):
            value = row.get(key)
            if value is not None:
                line.points.append((x_at(index), y_at(value), row["week"].number, value))
        series.append(line)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        series=series,
        x_ticks=[(x_at(i), row["week"].short_label) for i, row in enumerate(rows)],
        y_ticks=[(y_at(v), str(v)) for v in range(LOWEST, HIGHEST + 1)],
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
    )
