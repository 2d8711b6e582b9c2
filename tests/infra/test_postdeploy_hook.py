"""The azd `postdeploy` hook that subscribes the claims function once it is deployed (infra/hooks/).

The hooks are read as text (both) and the POSIX one is run with stand-ins for `az` and `azd` on PATH that record
their arguments: nothing reaches Azure. What is held: azure.yaml runs them after deploy; they wait until the host
has indexed the very function the code declares and the subscription template targets; they deploy that template
with every parameter it needs, from outputs main.bicep gives azd; a re-run issues the same deployment (a PUT of the
same subscription); a function that never appears fails the hook and subscribes nothing.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from function_app.entrypoints import claims
from tests.infra.bicep import INFRA, ROOT, body, resources_of, template, value_of
from tests.infra.test_eventgrid import SUBSCRIPTION_KIND, decorated_functions

SH = INFRA / "hooks" / "postdeploy.sh"
PS1 = INFRA / "hooks" / "postdeploy.ps1"
TEMPLATE = INFRA / "app" / "claims-subscription.bicep"
OUTPUTS = {
    "AZURE_RESOURCE_GROUP": "rg-test",
    "AZURE_FUNCTION_APP_NAME": "func-fni-abc",
    "AZURE_STORAGE_ACCOUNT_NAME": "stfniabc",
    "EVENTGRID_SYSTEM_TOPIC_NAME": "evgt-fni-abc",
    "EVENTGRID_DEADLETTER_CONTAINER_NAME": "eventgrid-deadletter",
}


def claims_function() -> str:
    (name,) = [n for n, decorators in decorated_functions(Path(claims.__file__)).items()
               if "event_grid_trigger" in decorators]
    return name


def assigned(text: str, name: str) -> str:
    found = re.search(rf"^\$?{name}\s*=\s*'?([\w-]+)'?", text, re.MULTILINE)
    assert found, f"{name} is not set"
    return found.group(1)


def test_azure_yaml_runs_the_hooks_after_deploy() -> None:
    text = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    block = re.search(r"^hooks:\n  postdeploy:\n((?:    .*\n)+)", text, re.MULTILINE)
    assert block, "azure.yaml has no postdeploy hook"
    assert re.search(r"posix:\n\s+shell: sh\n\s+run: \./infra/hooks/postdeploy\.sh\n\s+continueOnError: false",
                     block.group(1))
    assert re.search(r"windows:\n\s+shell: pwsh\n\s+run: \./infra/hooks/postdeploy\.ps1\n\s+continueOnError: false",
                     block.group(1))
    assert SH.stat().st_mode & stat.S_IXUSR and PS1.is_file()


@pytest.mark.parametrize("hook", [SH, PS1], ids=["sh", "ps1"])
def test_the_hooks_name_the_function_and_subscription_of_the_code_and_the_template(hook: Path) -> None:
    text, tpl = hook.read_text(encoding="utf-8"), template("app/claims-subscription.bicep")
    (subscription,) = resources_of(tpl, SUBSCRIPTION_KIND).values()
    function = claims_function()
    assert assigned(text, "FUNCTION_NAME" if hook == SH else "FunctionName") == function
    assert value_of(tpl, "functionName") == function
    assert assigned(text, "SUBSCRIPTION_NAME" if hook == SH else "SubscriptionName") == body(subscription)["name"]
    assert "claims-subscription.bicep" in text
    passed = set(re.findall(r"\b([a-z]\w*)=\"?\$", text)) - {"state", "attempt"}
    required = {name for name, param in tpl["parameters"].items() if param.get("default") is None}
    assert required <= passed <= set(tpl["parameters"]), (passed, required)
    outputs = set(template("main.bicep")["outputs"])
    assert set(OUTPUTS) <= outputs
    assert set(re.findall(r"\b(?:AZURE|EVENTGRID)_[A-Z_]+", text)) <= outputs


def test_the_dead_letter_role_is_provisioned_before_any_subscription() -> None:
    """The role is in eventgrid.bicep (azd provision), the subscription in a template the postdeploy hook deploys."""
    assert "eventGrid" in template("main.bicep")["modules"]
    assert resources_of(template("app/eventgrid.bicep"), "Microsoft.Authorization/roleAssignments")
    assert not resources_of(template("app/eventgrid.bicep"), SUBSCRIPTION_KIND)


FAKE_AZ = """#!/bin/sh
echo "az $*" >> "$FAKE_LOG"
case "$1 $2 $3" in
  "functionapp function show")
    seen=$(grep -c "functionapp function show" "$FAKE_LOG")
    [ "$seen" -gt "$FAKE_INDEXED_AFTER" ] && echo claims_file_uploaded && exit 0
    echo "ResourceNotFound" >&2; exit 3 ;;
  "deployment group create") exit 0 ;;
  "eventgrid system-topic event-subscription") echo Succeeded; exit 0 ;;
esac
exit 9
"""


def run_hook(tmp_path: Path, indexed_after: int, attempts: int = 5) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "az").write_text(FAKE_AZ, encoding="utf-8")
    (bin_dir / "azd").write_text("#!/bin/sh\necho azd must not be needed >&2\nexit 9\n", encoding="utf-8")
    for tool in ("az", "azd"):
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "calls.log"
    log.write_text("", encoding="utf-8")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(log),
           "FAKE_INDEXED_AFTER": str(indexed_after), "CLAIMS_HOOK_INTERVAL": "0",
           "CLAIMS_HOOK_ATTEMPTS": str(attempts), **OUTPUTS}
    done = subprocess.run(["sh", str(SH)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, log.read_text(encoding="utf-8").splitlines()


def test_the_hook_waits_for_the_function_then_deploys_the_subscription_the_same_way_each_time(
        tmp_path: Path) -> None:
    code, calls = run_hook(tmp_path, indexed_after=2)
    assert code == 0, calls
    shows = [c for c in calls if c.startswith("az functionapp function show")]
    assert len(shows) == 3 and all("--function-name claims_file_uploaded" in c for c in shows)
    assert all("--name func-fni-abc" in c and "--resource-group rg-test" in c for c in shows)
    (deployment,) = [c for c in calls if c.startswith("az deployment group create")]
    assert calls.index(deployment) > calls.index(shows[-1])
    assert f"--template-file {SH.parent}/../app/claims-subscription.bicep" in deployment
    for expected in ("systemTopicName=evgt-fni-abc", "storageAccountName=stfniabc", "functionAppName=func-fni-abc",
                     "deadLetterContainerName=eventgrid-deadletter", "functionName=claims_file_uploaded",
                     "--name claims-file-uploaded", "--resource-group rg-test"):
        assert expected in deployment
    assert Path(f"{SH.parent}/../app/claims-subscription.bicep").resolve() == TEMPLATE
    again_code, again = run_hook(tmp_path, indexed_after=0)
    assert again_code == 0
    assert [c for c in again if "deployment group create" in c] == [deployment]


def test_a_function_that_never_appears_fails_the_hook_and_subscribes_nothing(tmp_path: Path) -> None:
    code, calls = run_hook(tmp_path, indexed_after=99, attempts=3)
    assert code != 0
    assert len(calls) == 3 and not [c for c in calls if "deployment" in c]
