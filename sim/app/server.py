"""Serving the workbench on 127.0.0.1: one run queue for the server, one page per browser session.

The page is a Panel application (on a Bokeh/Tornado server): it was chosen over Solara because it
serves a Python page from a plain server process with an address and port of our choosing, updates
its widgets and Bokeh plots from a periodic callback on the server (the runs happen in another
process), and needs no front-end build. Only the loopback address is bound, and only pages loaded
from it may open the page's websocket.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

from sim.app.runs import Options, RunQueue
from sim.app.whatifs import Workspace
from sim.cli.validate import file_kind
from sim.errors import InputError

ADDRESS = "127.0.0.1"
READY = "Serving the what-if workbench"  # printed once the server listens (sim.app.background waits for it)


def scenario_files(base_file: Path) -> list[Path]:
    """The scenario files beside the base (sweep and optimisation files are not scenarios)."""
    found = []
    for path in sorted(base_file.parent.glob("*.yaml")):
        try:
            if file_kind(path) == "scenario":
                found.append(path)
        except InputError:
            continue
    return found if base_file in found else [base_file, *found]


def serve(base_file: Path, port: int, whatifs: Path, options: Options, run_words: list[str],
          say: Any = print) -> None:
    """Serve the workbench until Ctrl-C; a run still going is interrupted then (its replications are kept)."""
    import panel as pn
    from panel.io.server import get_server

    from sim.app.page import STATIC, Workbench

    pn.extension(notifications=False)
    queue = RunQueue(options)
    files = scenario_files(base_file)

    def page() -> Any:
        root = pn.Column(sizing_mode="stretch_width")
        picker = pn.widgets.Select(name="Scenario file", options={str(f): str(f) for f in files},
                                   value=str(base_file), css_classes=["scenario-picker"], width=380)

        shown: list[Workbench] = []

        def show(path: str) -> None:
            for old in shown:
                old.close()
            shown.clear()
            try:
                bench = Workbench(Workspace(Path(path), whatifs / Path(path).stem), queue, run_words)
            except InputError as exc:
                root[:] = [pn.pane.Alert(f"<pre>{html.escape(exc.render())}</pre>", alert_type="danger")]
                return
            shown.append(bench)
            root[:] = [bench.view()]

        picker.param.watch(lambda event: show(event.new), "value")
        show(str(base_file))
        return pn.Column(pn.pane.Markdown("## Reopening what-ifs: edit a lever, run it against the base"), picker,
                         root, sizing_mode="stretch_width")

    whatifs.mkdir(parents=True, exist_ok=True)
    server = get_server({"/": page}, port=port, address=ADDRESS,
                        websocket_origin=[f"{ADDRESS}:{port}", f"localhost:{port}"] if port else None,
                        static_dirs={STATIC: str(whatifs.resolve())}, title="sim: what-if workbench",
                        show=False, start=False)
    server.start()
    say(f"{READY} on http://{ADDRESS}:{server.port}/ (what-ifs in {whatifs}); "
        "Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        queue.close()
