"""`archfit exporter`'s bad input: one line naming the option, exit 2, before any connection."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from archfit.cli.main import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "9090"], "--listen: expected HOST:PORT (e.g. 0.0.0.0:9090), got '9090'"),
        (["--listen", "0.0.0.0:99999"], "--listen: expected HOST:PORT"),
        # One replica only (two would export every series twice): there is no such option.
        (["--leader-election"], "No such option: --leader-election"),
        (["--config", "no-such-archfit.yaml"], "--config: no-such-archfit.yaml is not a file"),
    ],
)
def test_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["exporter", "--kubeconfig", str(tmp_path / "none"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_a_port_in_use_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code = main(["exporter", "--kubeconfig", str(kubeconfig), "--listen", f"127.0.0.1:{port}"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert f"--listen: cannot bind 127.0.0.1:{port}" in err
