#!/usr/bin/env bash
source "$(dirname "$0")/common.sh"
stop_daemon master
