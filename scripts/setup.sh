#!/usr/bin/env bash
# One-time set-up on Debian/Ubuntu: Chromium (headless browser tests; it also ships
# SwiftShader, the CPU WebGPU used when there is no GPU), the Vulkan loader, the
# Fashion-MNIST dataset, PyTorch (the interop check, npm run test:torch), then the npm
# packages (puppeteer uses Debian's chromium, so its own browser download is skipped).
set -euo pipefail
SUDO=''
if [ "$(id -u)" -ne 0 ]; then SUDO='sudo'; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium libvulkan1 dataset-fashion-mnist python3-torch
# Some images ship a liblapack3 that torch cannot load (liblapack.so.3 missing): reinstall it.
/usr/bin/python3 -c 'import torch' 2>/dev/null || $SUDO apt-get install --reinstall -y -q liblapack3
PUPPETEER_SKIP_DOWNLOAD=1 npm ci
