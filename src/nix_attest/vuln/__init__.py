"""Known vulnerabilities in the Nix closure: identification, sources (NVD, OSV, nixpkgs meta), matching,
the local NVD database, findings and their VDR/VEX, SARIF, text, JSON and Markdown forms."""
