"""The matplotlib backend tear sheets are drawn with: Agg, without a redraw nobody sees.

``pyplot.savefig`` writes the figure and then calls ``fig.canvas.draw_idle()``, which on a plain
Agg canvas renders the whole figure again to a raster that is thrown away (it exists to refresh
an interactive window). quantstats saves each of a tear sheet's ~14 charts through
``pyplot.savefig``, so about a tenth of a render went into those raster draws. This canvas is Agg
in every other respect (same text metrics, same ``tight_layout``), so the saved SVGs are the same
bytes as with ``Agg``. Select it with ``matplotlib.use("module://r2k.reports._tearsheet_backend")``.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg


class FigureCanvas(FigureCanvasAgg):
    """Agg canvas whose ``draw_idle`` does nothing: there is no window to refresh."""

    def draw_idle(self, *args, **kwargs) -> None:
        pass
