#!/usr/bin/env bash
# Tests the TopKLoss package as users get it: packs src/TopKLoss into a temporary feed, restores a new
# console app outside the repository from it (plus libtorch-cpu-linux-x64), and runs it
# (tools/package-test/Program.cs: torch before any TopKLoss type, a few training steps with each loss).
# Also checks the package's metadata and dependencies, the build step that patches the app's own copy of
# libLibTorchSharp.so (build and publish; the NuGet cache stays as it is), the run-time fix and its error
# when it cannot be applied, and that win-x64 / osx-arm64 / linux-arm64 builds of an app succeed.
# Prints PASS/FAIL/SKIP lines and closes with "package: N passed, N failed, N skipped"; exit 1 on a failure.
# No network beyond the configured NuGet sources: TorchSharp and libtorch come from the local NuGet cache.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
start=$SECONDS
passed=0 failed=0 skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
finish() {
  echo "package test took $((SECONDS - start)) s"
  echo "package: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit $?
}

work=$(mktemp -d "${TMPDIR:-/tmp}/topkloss-package.XXXXXX")
# Only the folder this run made.
trap 'rm -rf -- "$work"' EXIT
feed="$work/feed" app="$work/app" log="$work/log"
mkdir -p "$feed" "$app"

# A version no earlier run used: the app restores into its own packages folder, with the user's NuGet
# cache only as a read-only fallback (TorchSharp, libtorch), so no stale TopKLoss can be picked up and
# the cache gains nothing.
version="0.1.0-pkgtest.$(date +%s).$$"
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
torchsharp_version=$(sed -n 's:.*<TorchSharpVersion>\(.*\)</TorchSharpVersion>.*:\1:p' "$repo/Directory.Build.props")
libtorch_version=$(sed -n 's:.*<LibTorchVersion>\(.*\)</LibTorchVersion>.*:\1:p' "$repo/Directory.Build.props")

# --- the package -----------------------------------------------------------------------------------
echo "(0 s) packing"
# The Release build that `dotnet test` already made is reused (an up-to-date build is a no-op); only
# the package gets the unique version.
if ! { dotnet build "$repo/src/TopKLoss/TopKLoss.csproj" -c Release &&
       dotnet pack "$repo/src/TopKLoss/TopKLoss.csproj" -c Release --no-build -o "$feed" -p:Version="$version"; } >"$log" 2>&1; then
  cat "$log"; fail "dotnet pack src/TopKLoss"; finish
fi
pass "dotnet pack src/TopKLoss ($version)"
nupkg="$feed/TopKLoss.$version.nupkg"
nuspec=$(unzip -p "$nupkg" TopKLoss.nuspec)
deps=$(grep -o '<dependency id="[^"]*" version="[^"]*"' <<<"$nuspec" | sed 's/<dependency id="\([^"]*\)" version="\([^"]*\)"/\1 \2/')
echo "nuspec dependencies:"; sed 's/^/  /' <<<"$deps"
check "the package depends on TorchSharp $torchsharp_version only (no libtorch: the app chooses)" \
  test "$deps" = "TorchSharp $torchsharp_version"
for field in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<authors>' '<tags>' '<repository type="git"'; do
  check "nuspec has $field" grep -qF "$field" <<<"$nuspec"
done
files=$(unzip -Z1 "$nupkg")
for f in README.md lib/net10.0/TopKLoss.dll lib/net10.0/TopKLoss.xml buildTransitive/TopKLoss.targets tasks/net10.0/TopKLoss.Build.dll; do
  check "package contains $f" grep -qxF "$f" <<<"$files"
done

# --- the consumer app --------------------------------------------------------------------------------
cat >"$work/nuget.config" <<EOF
<configuration>
  <packageSources>
    <add key="topkloss-test-feed" value="$feed" />
  </packageSources>
</configuration>
EOF
cp "$repo/tools/package-test/Program.cs" "$app/Program.cs"
cat >"$app/Consumer.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <RestoreFallbackFolders>$cache</RestoreFallbackFolders>
    <!-- the cross-platform builds below: one restore for all three -->
    <RuntimeIdentifiers Condition="'\$(WithLibTorch)' == 'false'">win-x64;osx-arm64;linux-arm64</RuntimeIdentifiers>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TopKLoss" Version="$version" />
    <!-- what a Linux x64 CPU app adds (README, Install); the cross-RID builds below leave it out -->
    <PackageReference Include="libtorch-cpu-linux-x64" Version="$libtorch_version" Condition="'\$(WithLibTorch)' != 'false'" />
  </ItemGroup>
</Project>
EOF

original="$cache/torchsharp/$torchsharp_version/runtimes/linux-x64/native/libLibTorchSharp.so"
original_sum=$(sha256sum "$original" | cut -d' ' -f1)
# How many bytes a copy differs from the NuGet cache's library: 1 when patched (one flags byte), 0 when not.
differing() { cmp -l "$original" "$1" 2>/dev/null | wc -l; }

# Hard links instead of copies of the 475 MB libtorch: the builds copy nothing, and the cache check
# below then also shows that the build step replaces the app's copy instead of writing through a link.
links="-p:CreateHardLinksForCopyLocalIfPossible=true -p:CreateHardLinksForPublishFilesIfPossible=true"
echo "($((SECONDS - start)) s) building the consumer app"
if ! dotnet build "$app" -c Release -o "$work/out" $links >"$log" 2>&1; then
  cat "$log"; fail "the consumer app builds from the feed"; finish
fi
pass "the consumer app builds from the feed"
out_copy="$work/out/runtimes/linux-x64/native/libLibTorchSharp.so"
check "the build step patched the app's copy of libLibTorchSharp.so (exactly one byte differs)" test "$(differing "$out_copy")" -eq 1
echo "info: links to the cache: libtorch_cpu.so $(stat -c %h "$work/out/runtimes/linux-x64/native/libtorch_cpu.so"), libLibTorchSharp.so $(stat -c %h "$out_copy") (1: replaced, not written through)"
check "the NuGet cache's libLibTorchSharp.so is unchanged" test "$(sha256sum "$original" | cut -d' ' -f1)" = "$original_sum"

# Counts the app's own PASS/FAIL lines; the app's exit code must agree.
run_app() { # what, then the command
  local what=$1; shift
  "$@" >"$log" 2>&1; local rc=$?
  sed 's/^/  | /' "$log"
  passed=$((passed + $(grep -c '^PASS:' "$log"))); failed=$((failed + $(grep -c '^FAIL:' "$log")))
  check "$what (exit code $rc)" test "$rc" -eq 0
}
files_before=$(find "$work/out" | sort | sha256sum)
run_app "the consumer app runs: torch first, then both losses train" dotnet "$work/out/Consumer.dll"
check "the run wrote nothing into the app's folder (no copy of libtorch by TorchSharp's fallback)" \
  test "$(find "$work/out" | sort | sha256sum)" = "$files_before"
check "the run needed no run-time fix (the build step's copy loaded as it is)" grep -q 'native status: not needed (loaded ' "$log"

echo "($((SECONDS - start)) s) publishing the consumer app"
if dotnet publish "$app" -c Release -o "$work/pub" $links >"$log" 2>&1; then
  pass "the consumer app publishes"
  check "the publish step patched the published copy (one byte differs)" \
    test "$(differing "$work/pub/runtimes/linux-x64/native/libLibTorchSharp.so")" -eq 1
else
  cat "$log"; fail "the consumer app publishes"
fi

# The package's task on a copy it cannot patch: a warning that says why, and the build goes on.
printf 'not a shared object' >"$work/broken.so"
cat >"$work/warn.proj" <<EOF
<Project>
  <UsingTask TaskName="TopKLoss.Build.MarkLibTorchSharpVersionWeak" AssemblyFile="$work/packages/topkloss/$version/tasks/net10.0/TopKLoss.Build.dll" />
  <Target Name="Build"><MarkLibTorchSharpVersionWeak Files="$work/broken.so" /></Target>
</Project>
EOF
dotnet msbuild "$work/warn.proj" -nologo >"$log" 2>&1; rc=$?
grep -m1 'TOPKLOSS001' "$log" | sed 's/^/  | /'
check "the build step's task warns (TOPKLOSS001) on a copy it cannot patch, saying why; the build succeeds (exit code $rc)" \
  bash -c "[ $rc -eq 0 ] && grep -q 'warning TOPKLOSS001: TopKLoss could not mark GLIBCXX_3.4.32 weak .*not an ELF64.*EnsureLoaded' '$log'"
check "... and leaves that file as it was" test "$(cat "$work/broken.so")" = "not a shared object"

# --- without the build step: the run-time fix, and its error when it cannot be applied ----------------
stdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
if [ -n "$stdcxx" ] && ! grep -qa 'GLIBCXX_3\.4\.32' "$stdcxx"; then
  echo "($((SECONDS - start)) s) building the consumer app without the build step"
  if dotnet build "$app" -c Release -o "$work/off" $links -p:TopKLossPatchLibTorchSharp=false >"$log" 2>&1; then
    check "TopKLossPatchLibTorchSharp=false leaves the app's copy as shipped" \
      test "$(differing "$work/off/runtimes/linux-x64/native/libLibTorchSharp.so")" -eq 0
    # The control: without the step, torch first fails here (so the torch-first run above proves the step works).
    (dotnet "$work/off/Consumer.dll"; exit $?) >"$log" 2>&1; rc=$?
    check "without the build step, torch first fails on this system (exit code $rc)" test "$rc" -ne 0
    run_app "without the build step, the run-time fix applies when TopKLoss comes first" \
      env TOPKLOSS_NATIVE_CACHE="$work/native-cache" dotnet "$work/off/Consumer.dll" --topkloss-first
    check "... through a patched copy in TOPKLOSS_NATIVE_CACHE" grep -q "native status before torch: patched $work/native-cache/" "$log"
    # A cache below a regular file cannot be created, even by root.
    touch "$work/not-a-folder"
    # (in a subshell: the abort of the unhandled exception is reported into the log, not here)
    (env TOPKLOSS_NATIVE_CACHE="$work/not-a-folder/cache" dotnet "$work/off/Consumer.dll" --topkloss-first; exit $?) >"$log" 2>&1
    rc=$?
    grep -m1 'TopKLoss: ' "$log" | sed 's/^/  | /'
    check "an unwritable TOPKLOSS_NATIVE_CACHE fails the run (exit code $rc)" test "$rc" -ne 0
    check "... with an error that names the missing GLIBCXX_3.4.32, the folder and the way out" \
      grep -q "libstdc++ lacks GLIBCXX_3.4.32.*$work/not-a-folder/cache.*could not be applied.*Set TOPKLOSS_NATIVE_CACHE" "$log"
    check "... and not TorchSharp's misleading missing-package error" bash -c "! grep -q 'reference to libtorch-cpu' '$log'"
  else
    cat "$log"; fail "the consumer app builds with TopKLossPatchLibTorchSharp=false"
  fi
else
  skip "run-time fix checks: this system's libstdc++ ($stdcxx) has GLIBCXX_3.4.32, so no fix is needed here"
fi

# --- other platforms: they build (they cannot run here) ----------------------------------------------
# No apphost, so that no host pack for the other platform need be downloaded; the app's libtorch for
# those platforms (libtorch-cpu-win-x64, ...) is left out for the same reason.
# One restore for the three (a restore is most of such a build's time).
rids="win-x64 osx-arm64 linux-arm64" # as in the app's RuntimeIdentifiers
echo "($((SECONDS - start)) s) restoring for $rids"
dotnet restore "$app" -p:WithLibTorch=false >"$log" 2>&1 || cat "$log"
for rid in $rids; do
  echo "($((SECONDS - start)) s) building for $rid"
  if dotnet build "$app" -c Release -r "$rid" -o "$work/rid-$rid" --no-restore -p:WithLibTorch=false \
      -p:UseAppHost=false >"$log" 2>&1; then
    pass "dotnet build -r $rid of the consumer app succeeds"
    check "... and carries no Linux libtorch (libtorch_cpu.so)" bash -c "! find '$work/rid-$rid' -name libtorch_cpu.so | grep -q ."
  else
    cat "$log"; fail "dotnet build -r $rid of the consumer app succeeds"
  fi
done

finish
