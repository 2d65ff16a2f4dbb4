"""A local, offline server that speaks ModelsLab's v6 inpainting contract.

Any ModelsLab client works against it by changing only the host, which makes it
the app's offline default and the server the tests talk to. It fills masked
areas with a classical exemplar fill (PatchMatch, see ``engine``), so results are
deterministic and free, but the prompt does not steer them.

>>> from inpaint.server import ServerConfig, serve_in_background
>>> with serve_in_background(ServerConfig(latency=0.5)) as server:
...     print(server.base_url)          # http://127.0.0.1:PORT/api

From a shell: ``python -m inpaint.server --port 7861``.
"""

from .app import create_app
from .config import ServerConfig
from .runner import RunningServer, serve_in_background

__all__ = ["RunningServer", "ServerConfig", "create_app", "serve_in_background"]
