#!/usr/bin/env pwsh
# LearnedOpt build script for PowerShell users: the same steps as the README's commands.
#   ./build.ps1 build   - Release build (runs CMake for the native CPU library)
#   ./build.ps1 test    - the three test tiers (dotnet test)
#   ./build.ps1 bench   - lopt bench on the default backend (and --json to bench.jsonl)
#   ./build.ps1 pack    - publish lopt and the library with its native files to artifacts/publish,
#                         and the NuGet package to artifacts/packages
param(
    [Parameter(Position = 0)][ValidateSet('build', 'test', 'bench', 'pack', 'all')][string]$Target = 'all',
    [string]$Configuration = 'Release',
    [string]$Backend = 'auto'
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Step([string]$what, [scriptblock]$block) {
    Write-Host "==> $what"
    & $block
    if ($LASTEXITCODE -ne 0) { throw "$what failed with exit code $LASTEXITCODE" }
}

foreach ($tool in 'dotnet', 'cmake') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is not on PATH: install it first (see README.md)." }
}

$lopt = Join-Path $PSScriptRoot "src/LearnedOpt.Cli/bin/$Configuration/net10.0/lopt.dll"

if ($Target -in 'build', 'all', 'bench', 'pack') {
    Invoke-Step 'build' { dotnet build Interop.sln -c $Configuration }
}
if ($Target -in 'test', 'all') {
    Invoke-Step 'test' { dotnet test }
}
if ($Target -in 'bench', 'all') {
    Invoke-Step 'lopt info' { dotnet $lopt info --backend $Backend }
    Invoke-Step 'lopt bench' { dotnet $lopt bench --backend $Backend }
    Invoke-Step 'lopt bench --json' { dotnet $lopt bench --backend $Backend --json | Out-File -Encoding utf8 artifacts/bench.jsonl }
}
if ($Target -eq 'pack') {
    Invoke-Step 'publish' { dotnet publish src/LearnedOpt.Cli -c $Configuration -o artifacts/publish }
    Invoke-Step 'pack' { dotnet pack src/LearnedOpt -c $Configuration -o artifacts/packages }
}
