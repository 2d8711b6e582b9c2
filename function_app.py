# The worker only checks this file exists; `import function_app` loads the package function_app/ instead.
from function_app import app  # noqa: F401
