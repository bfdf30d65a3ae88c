"""The deployment files of docs/deploy-tee.md against what that document says about them.

Gramine is not packaged for Debian 12, so its `gramine-manifest` cannot render the template
here. The template uses Jinja expressions only (`{{ ... }}`, no `{% %}` blocks), which this test
substitutes itself before parsing the result with Python's tomllib, as Gramine parses its
manifests as TOML. The policies in the document are loaded by the real `attestmq verify`.
"""
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from reference_mosquitto import attestmq_binary

REPO = Path(__file__).resolve().parents[2]
GRAMINE_DIR = REPO / "deploy" / "gramine"
TEMPLATE = GRAMINE_DIR / "attestmq-enclave.manifest.template"
DEPLOY_DOC = REPO / "docs" / "deploy-tee.md"
SIM_ENVELOPE = REPO / "tests" / "data" / "attest" / "sim" / "envelope.cbor"

ENCLAVE_BINARY = "/opt/attestmq/bin/attestmq-enclave"
CONFIG_DIR = "/opt/attestmq/etc"
VARIABLES = {
    "log_level": "error",
    "arch_libdir": "/lib/x86_64-linux-gnu",
    "enclave_binary": ENCLAVE_BINARY,
    "config_dir": CONFIG_DIR,
    "state_dir": "/var/lib/attestmq",
    "gramine.runtimedir()": "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc",
}
EXPRESSION = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def template_variables(text):
    return set(EXPRESSION.findall(text))


def render(text):
    """Substitutes each `{{ name }}`; a name this test does not know fails the test."""
    unknown = template_variables(text) - VARIABLES.keys()
    assert not unknown, f"template variables without a value here: {sorted(unknown)}"
    return EXPRESSION.sub(lambda match: VARIABLES[match.group(1)], text)


@pytest.fixture(scope="module")
def template_text():
    return TEMPLATE.read_text()


@pytest.fixture(scope="module")
def manifest(template_text):
    return tomllib.loads(render(template_text))


def leaf_keys(table, prefix=""):
    """Dotted names of every value that is not itself a table."""
    keys = set()
    for name, value in table.items():
        dotted = prefix + name
        keys |= leaf_keys(value, dotted + ".") if isinstance(value, dict) else {dotted}
    return keys


def documented_manifest_keys():
    """The backquoted keys in the first column of docs/deploy-tee.md's manifest key table."""
    lines = DEPLOY_DOC.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| manifest key |"))
    keys = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        keys |= set(re.findall(r"`([a-z_.A-Z]+)`", line.split("|")[1]))
    return keys


def uri_covers(outer, inner):
    """Whether trusted or allowed URI `outer` names `inner`: equal, or a directory holding it."""
    return outer == inner or (outer.endswith("/") and inner.startswith(outer))


def test_the_template_is_jinja_expressions_over_toml(template_text):
    assert "{%" not in template_text, "the test renders expressions only, not Jinja blocks"
    assert template_variables(template_text) == VARIABLES.keys()


def test_every_documented_key_is_set_and_every_key_set_is_documented(manifest):
    documented = documented_manifest_keys()
    assert documented, "docs/deploy-tee.md has no manifest key table"
    assert leaf_keys(manifest) == documented


def test_the_entrypoint_is_attestmq_enclave_mounted_from_the_binary(manifest):
    entrypoint = manifest["libos"]["entrypoint"]
    assert entrypoint == "/attestmq-enclave"
    mounts = {mount["path"]: mount["uri"] for mount in manifest["fs"]["mounts"]}
    assert mounts[entrypoint] == f"file:{ENCLAVE_BINARY}"
    # Gramine 1.7+ adds loader.entrypoint (the LibOS) itself; 1.9 refuses the old string form.
    assert "entrypoint" not in manifest["loader"]


def test_the_command_line_is_fixed_and_reads_a_trusted_configuration(manifest):
    loader = manifest["loader"]
    argv = loader["argv"]
    assert Path(argv[0]).name == "attestmq-enclave"
    assert argv[argv.index("--tee") + 1] == "sgx-gramine"
    assert "-d" not in argv, "a daemon forks, and the manifest disallows subprocesses"
    # The host must not be able to choose the arguments (Gramine: these three are exclusive).
    assert "insecure__use_cmdline_argv" not in loader and "argv_src_file" not in loader
    config = argv[argv.index("-c") + 1]
    mount = next(m for m in manifest["fs"]["mounts"] if config.startswith(m["path"] + "/"))
    host_path = mount["uri"] + config[len(mount["path"]):]
    assert any(uri_covers(trusted, host_path) for trusted in manifest["sgx"]["trusted_files"])


def test_it_is_a_production_enclave_with_dcap_attestation(manifest):
    sgx = manifest["sgx"]
    assert sgx["remote_attestation"] == "dcap"
    assert sgx["debug"] is False
    assert re.fullmatch(r"[0-9]+[KMG]", sgx["enclave_size"])
    assert sgx["max_threads"] >= 4, "Gramine itself needs up to 3 helper threads"
    assert manifest["sys"]["enable_sigterm_injection"] is True
    assert manifest["sys"]["disallow_subprocesses"] is True


def test_the_binary_and_the_configuration_are_trusted_and_nothing_is_both(manifest):
    trusted = manifest["sgx"]["trusted_files"]
    allowed = manifest["sgx"].get("allowed_files", [])
    assert f"file:{ENCLAVE_BINARY}" in trusted
    assert f"file:{CONFIG_DIR}/" in trusted
    both = [(t, a) for t in trusted for a in allowed if uri_covers(t, a) or uri_covers(a, t)]
    assert not both, f"trusted and allowed at once: {both}"


def test_the_makefile_passes_exactly_the_templates_variables(template_text):
    makefile = (GRAMINE_DIR / "Makefile").read_text()
    passed = set(re.findall(r"-D([a-z_]+)=", makefile))
    own = {name for name in template_variables(template_text) if not name.startswith("gramine.")}
    assert passed == own


def policy_examples():
    blocks = re.findall(r"```json\n(.*?)```", DEPLOY_DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 4, "expected the SGX, TDX, SEV-SNP and sim policies"
    return blocks


def with_placeholders_filled(block):
    """`<64 hex: ...>` and `<96 hex: ...>` become that many zeros."""
    return re.sub(r"<(64|96) hex: [^>]*>", lambda match: "0" * int(match.group(1)), block)


@pytest.mark.parametrize("index", range(len(policy_examples())))
def test_the_documented_policies_load_in_the_real_verifier(tmp_path, index):
    text = with_placeholders_filled(policy_examples()[index])
    assert "<" not in text, f"an unfilled placeholder in policy {index}:\n{text}"
    json.loads(text)
    policy = tmp_path / "policy.json"
    policy.write_text(text)
    run = subprocess.run([attestmq_binary(), "verify", str(SIM_ENVELOPE), "--policy", str(policy)],
                         capture_output=True, text=True, timeout=30)
    # 2 is a usage error, which is what an unknown key or a malformed value in a policy gives;
    # 0 or 1 is a verdict on the evidence, reached only with a policy that loaded.
    assert run.returncode in (0, 1), f"policy {index} refused:\n{run.stdout}{run.stderr}"
    assert "policy:" not in run.stderr
