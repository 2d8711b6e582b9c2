"""fnix: the operator's command line over the exchange's own services, and the developer tools behind `./dev`.

Not part of the deployed function app (`.funcignore` leaves `tools/` out; a test holds that the app never imports it).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fni-exchange")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
