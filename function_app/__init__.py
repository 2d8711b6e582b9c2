"""The Functions app: one FunctionApp, one Blueprint per trigger family, registered here only.

The worker checks that `function_app.py` exists beside host.json and then imports the module name
`function_app`, which Python resolves to this package (a package directory wins over a same-named .py).
"""

import sys
from pathlib import Path

import azure.functions as func

from function_app import partner_config_check
from function_app.config import load_settings
from function_app.entrypoints import api, change_feed, claims, delivery, realtime, reconciliation

# A wrong setting or partner file stops start-up here, with a message that names the setting, partner and field.
# `fnix` imports this package too, and checks them itself where a command needs them: a mistake there is a
# message and exit 2, not a traceback at import (and `fnix partners check` can then report a broken file).
if Path(sys.argv[0] if sys.argv else "").name != "fnix":
    partner_config_check.ensure_valid(load_settings().partner_config)
app = func.FunctionApp()
app.register_functions(realtime.blueprint)
app.register_functions(change_feed.blueprint)
app.register_functions(delivery.blueprint)
app.register_functions(reconciliation.blueprint)
app.register_functions(claims.blueprint)
app.register_functions(api.blueprint)
