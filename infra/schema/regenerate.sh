#!/usr/bin/env bash
# Regenerates internal/tfschema/aws.json, the subset of the hashicorp/aws provider schema that the offline
# `terraform validate` stand-in checks infra/ against, from the pinned npm package @cdktf/provider-aws
# (prebuilt bindings of hashicorp/aws 6.25.0). Run it after adding a resource or data source type to infra/,
# or after changing the pin. Needs npm (the package is fetched with `npm pack`, nothing is installed) and go.
set -euo pipefail

PACKAGE="@cdktf/provider-aws"
VERSION="21.22.1" # hashicorp/aws 6.25.0

root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
tarball="$(npm pack --silent "$PACKAGE@$VERSION")"
tar xzf "$tarball" package/.jsii
cd "$root"
go run ./internal/tfschema/gen -jsii "$tmp/package/.jsii" -infra infra -o internal/tfschema/aws.json
