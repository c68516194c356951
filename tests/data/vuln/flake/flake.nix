{
  description = "nix-attest vulnerability fixture: packages named after real advisories (see ../README.md), builds offline with /bin/sh";

  outputs = { self }:
    let
      # the two-commit diff test rewrites these two lines
      xzVersion = "5.6.1";
      webpVersion = "1.3.2";

      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);

      pkgsFor = system:
        let
          mk = { pname, version, meta ? { }, extra ? { } }:
            (derivation ({
              name = "${pname}-${version}";
              inherit pname version system;
              builder = "/bin/sh";
              args = [ "-c" "echo ${pname} ${version} > $out" ];
            } // extra)) // { inherit meta; };

          # a fixed-output download, as fetchurl makes one (content fixed by outputHash)
          fetched = { name, url, text, sha256 }: derivation {
            inherit name system;
            builder = "/bin/sh";
            args = [ "-c" "echo '${text}' > $out" ];
            urls = url;
            outputHashMode = "flat";
            outputHashAlgo = "sha256";
            outputHash = sha256;
          };

          # matched through meta.identifiers.cpe (CVE-2024-3094 is xz 5.6.0 and 5.6.1)
          xz = mk {
            pname = "xz";
            version = xzVersion;
            meta.identifiers.cpe = "cpe:2.3:a:tukaani:xz:${xzVersion}:*:*:*:*:*:*:*";
          };
          # matched through the curated map (webmproject:libwebp, CVE-2023-4863 before 1.3.2)
          libwebp = mk { pname = "libwebp"; version = webpVersion; };
          # matched through the pname heuristic: CVE-2010-0748 ANDs transmission < 1.92 with Linux
          transmission = mk { pname = "transmission"; version = "1.91"; };
          # vulnerable to CVE-2022-32746 by version, fixed by the patch named after it
          samba = mk {
            pname = "samba";
            version = "4.16.2";
            extra.patches = [ ./CVE-2022-32746.patch ];
          };
          # nixpkgs-style possibleCPEs (no full cpe): the first is used, the others kept as candidates
          libtiff = mk {
            pname = "libtiff";
            version = "4.0.9";
            meta.identifiers.possibleCPEs = [
              { cpe = "cpe:2.3:a:libtiff:libtiff:4.0.9:*:*:*:*:*:*:*"; cpeParts = { vendor = "libtiff"; }; }
              { cpe = "cpe:2.3:a:libtiff:libtiff:4.0:9:*:*:*:*:*:*"; }
            ];
          };
          # meta.knownVulnerabilities without any database entry
          oldlib = mk {
            pname = "oldlib";
            version = "0.9";
            meta.knownVulnerabilities = [ "Unmaintained since 2019, known memory-safety bugs are not fixed" ];
          };
          # vendored dependencies: fixed-output downloads from crates.io and PyPI, matched at OSV
          regex-crate = fetched {
            name = "crate-regex-1.5.4.tar.gz";
            url = "https://crates.io/api/v1/crates/regex/1.5.4/download";
            text = "regex 1.5.4 crate source";
            sha256 = "8bb8c015520fc88ba6d179d7eb4010c9a98fa51550ccff213ea02e08c39a4323";
          };
          requests-sdist = fetched {
            name = "requests-2.28.1.tar.gz";
            url = "https://files.pythonhosted.org/packages/a5/61/a867851fd5ab77277495a8709ddda0861b28163c4613b011bc00228cc724/requests-2.28.1.tar.gz";
            text = "requests 2.28.1 sdist";
            sha256 = "02cf6eedc6d9a4602ba51a7ff15dde31c2d469845b89cb609749db7277024804";
          };
          rust-tool = mk { pname = "rust-tool"; version = "0.1.0"; extra.cargoDeps = [ regex-crate ]; };
          py-tool = mk { pname = "py-tool"; version = "0.2.0"; extra.pythonDeps = [ requests-sdist ]; };

          # decoys that must not match
          # another vendor: CVE-2022-46285 is x.org:libxpm < 3.5.15
          libxpm = mk {
            pname = "libxpm";
            version = "3.5.12";
            meta.identifiers.cpe = "cpe:2.3:a:freedesktop:libxpm:3.5.12:*:*:*:*:*:*:*";
          };
          # outside the range: CVE-2018-1000500 is busybox < 1.32.0 (Nix orders 1.32 < 1.32.0)
          busybox = mk { pname = "busybox"; version = "1.32"; };
          # only named with vulnerable: false (the platform of CVE-2010-0748)
          linux = mk { pname = "linux"; version = "5.10"; };
          # a configuration that ANDs esp-idf with the esp32 chip (CVE-2020-13595)
          esp-idf = mk { pname = "esp-idf"; version = "4.1"; };

          app = mk {
            pname = "vulnerable-app";
            version = "1.0";
            extra.buildInputs = [ xz libwebp libtiff transmission samba oldlib rust-tool py-tool libxpm busybox linux esp-idf ];
          };
        in { inherit xz libwebp libtiff transmission samba oldlib rust-tool py-tool libxpm busybox linux esp-idf; default = app; };
    in { packages = forAll pkgsFor; };
}
