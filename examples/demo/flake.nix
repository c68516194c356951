{
  description = "nix-attest demo: a few packages with runtime references, metadata and a fixed-output source (no inputs, builds offline)";

  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);

      pkgsFor = system:
        let
          # A tiny stand-in for stdenv.mkDerivation: /bin/sh with shell builtins only (no nixpkgs).
          mk = { pname, version, script, meta ? { }, extra ? { } }:
            (derivation ({
              name = "${pname}-${version}";
              inherit pname version system;
              builder = "/bin/sh";
              args = [ "-c" script ];
            } // extra)) // { inherit meta; };

          # A fixed-output derivation: the "upstream tarball". Its content is fixed by outputHash.
          greeting-src = (derivation {
            name = "greeting-1.0.tar";
            inherit system;
            builder = "/bin/sh";
            args = [ "-c" "echo 'greeting source 1.0' > $out" ];
            urls = "https://example.org/releases/greeting-1.0.tar";
            outputHashMode = "flat";
            outputHashAlgo = "sha256";
            outputHash = "62096b6061d53553da498a0216e11d2215e12d4731d7db30c14bc7ed05ab2065";
          }) // { meta.description = "Upstream source tarball of greeting"; };

          build-tool = mk {
            pname = "build-tool";
            version = "0.9";
            script = "echo 'a build-time only tool' > $out";
            meta = { description = "A tool used only while building"; license = { spdxId = "BSD-3-Clause"; }; };
          };

          libgreet = mk {
            pname = "libgreet";
            version = "1.2.0";
            extra = { src = greeting-src; nativeBuildInputs = [ build-tool ]; };
            script = "read -r line < $src; echo \"libgreet built from: $line\" > $out";
            meta = {
              description = "Greeting library";
              homepage = "https://example.org/libgreet";
              license = { spdxId = "MIT"; fullName = "MIT License"; };
              identifiers = {
                cpe = "cpe:2.3:a:example:libgreet:1.2.0:*:*:*:*:*:*:*";
                purl = "pkg:generic/libgreet@1.2.0";
              };
            };
          };

          greet-cli = mk {
            pname = "greet-cli";
            version = "0.3.1";
            extra = { buildInputs = [ libgreet ]; };
            script = "echo \"greet-cli links ${libgreet}\" > $out";
            meta = {
              description = "Command-line greeter";
              homepage = "https://example.org/greet-cli";
              license = [ { spdxId = "Apache-2.0"; } { spdxId = "MIT"; } ];
            };
          };

          hello-app = mk {
            pname = "hello-app";
            version = "1.0.0";
            extra = { buildInputs = [ greet-cli libgreet ]; nativeBuildInputs = [ build-tool ]; };
            script = "echo \"hello-app uses ${greet-cli} and ${libgreet}\" > $out";
            meta = {
              description = "The demo application";
              homepage = "https://example.org/hello-app";
              license = "GPL-3.0-or-later";
            };
          };
        in { inherit greeting-src build-tool libgreet greet-cli hello-app; default = hello-app; };
    in { packages = forAll pkgsFor; };
}
