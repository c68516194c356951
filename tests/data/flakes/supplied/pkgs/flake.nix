{
  description = "A tiny package collection standing in for nixpkgs: its mkPackage records meta.position (where a package is defined) as nixpkgs' mkDerivation does";
  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
    in {
      lib.mkPackage = system: args@{ pname, version, script, meta ? { }, ... }:
        let pos = builtins.unsafeGetAttrPos "pname" args; in
        (derivation ({
          name = "${pname}-${version}";
          inherit pname version system;
          builder = "/bin/sh";
          args = [ "-c" script ];
        } // builtins.removeAttrs args [ "pname" "version" "script" "meta" ]))
        // { meta = meta // { position = "${pos.file}:${toString pos.line}"; }; };
      packages = forAll (system: {
        zlib = self.lib.mkPackage system {
          pname = "zlib";
          version = "1.3.1";
          script = "echo zlib > $out";
          meta = {
            license = { spdxId = "Zlib"; };
            homepage = "https://zlib.net";
            maintainers = [ { name = "Jane Packager"; email = "jane@example.org"; github = "jane"; } ];
          };
        };
      });
    };
}
