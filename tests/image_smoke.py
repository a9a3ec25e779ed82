"""Smoke test of the built image (``make image``; not part of ``make test``).

Containers cannot run on the build machine, so the image's file system is mounted
(``podman create`` + ``podman mount``) and its command started in a chroot as uid 10001, with
the image's environment and working directory. Passes when ``/_stcore/health`` answers ``ok``,
a browser (Playwright + Debian's Chromium) shows a rendered Survival page, and the image's own
kaleido + Chromium render a figure to PNG as uid 10001 (an image built with
``STATIC_EXPORT=none`` has no Chromium: then it says so instead).

Usage: python tests/image_smoke.py IMAGE   (as root)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


def _podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(config: dict, port: int) -> list[str]:
    """The image's CMD, listening on 127.0.0.1:port instead of 0.0.0.0:8501."""
    out = []
    for arg in config["Cmd"]:
        if arg.startswith("--server.port"):
            arg = f"--server.port={port}"
        elif arg.startswith("--server.address"):
            arg = "--server.address=127.0.0.1"
        out.append(arg)
    return out


def _wait_healthy(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the app exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=3) as response:
                body = response.read().decode()
                if body == "ok":
                    print(f"/_stcore/health: {body}")
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not answer ok on /_stcore/health")


def _survival_page(port: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM",
                                                                   "/usr/bin/chromium"))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(f"http://127.0.0.1:{port}/survival")
        expect(page.get_by_role("heading", name="Survival", level=1, exact=True)).to_be_visible(timeout=120_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=120_000)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "image-survival.png"), full_page=True)
        browser.close()
    print("Survival page rendered (Kaplan–Meier figure shown, no exception)")


#: Run in the image as its user: a figure to PNG through the image's kaleido and Chromium.
_EXPORT = """
import plotly.graph_objects as go
from cohort_explorer.present.plots.images import chromium_path, figure_images
if chromium_path() is None:
    raise SystemExit(3)
png = figure_images({"km": go.Figure(go.Scatter(x=[0, 1], y=[1, 0.5]))}, ("png",))[("km", "png")]
assert png[:8] == bytes([137, 80, 78, 71, 13, 10, 26, 10]), png[:8]
print(f"PNG export in the image: {len(png)} bytes")
"""


def _static_export(mounted: Path, user: str, workdir: str, env: dict[str, str]) -> None:
    done = subprocess.run(["chroot", f"--userspec={user}", str(mounted), "/bin/sh", "-c",
                           f'cd {workdir} && exec python -c "$SMOKE_EXPORT"'],
                          env={**env, "SMOKE_EXPORT": _EXPORT}, capture_output=True, text=True,
                          timeout=300)
    if done.returncode == 3:
        print("PNG export: no Chromium in this image (STATIC_EXPORT=none)")
        return
    if done.returncode != 0:
        raise SystemExit(f"PNG export failed in the image:\n{done.stderr[-2000:]}")
    print(done.stdout.strip())


def main(image: str) -> None:
    config = json.loads(_podman("image", "inspect", image))[0]["Config"]
    container = _podman("create", image)
    mounted = Path(_podman("mount", container))
    mounts = [mounted / "proc", mounted / "dev"]
    process = None
    try:
        subprocess.run(["mount", "-t", "proc", "proc", str(mounts[0])], check=True)
        subprocess.run(["mount", "--bind", "/dev", str(mounts[1])], check=True)
        port = _free_port()
        env = dict(item.split("=", 1) for item in config.get("Env", []))
        env["HOME"] = "/home/cohort"
        user = config.get("User") or "10001:10001"
        assert user.split(":")[0] == "10001", f"the image runs as {user}, not uid 10001"
        workdir = config.get("WorkingDir") or "/"
        shell = f"cd {workdir} && exec " + " ".join(_command(config, port))
        process = subprocess.Popen(["chroot", f"--userspec={user}", str(mounted),
                                    "/bin/sh", "-c", shell], env=env)
        _wait_healthy(port, process)
        _survival_page(port)
        _static_export(mounted, user, workdir, env)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in reversed(mounts):
            subprocess.run(["umount", "-l", str(path)], check=False)
        subprocess.run(["podman", "umount", container], check=False, capture_output=True)
        subprocess.run(["podman", "rm", "-f", container], check=False, capture_output=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cohort-explorer")
