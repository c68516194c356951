{
  description = "An application repository: its own packages plus one from a package-collection input";
  inputs.pkgs.url = "@PKGS@";
  outputs = { self, pkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
    in {
      packages = forAll (system:
        let
          mk = pkgs.lib.mkPackage system;
          zlib = pkgs.packages.${system}.zlib;
          helper = mk {
            pname = "widget-helper";
            version = "0.4";
            script = "echo helper > $out";
            meta.license = { spdxId = "Apache-2.0"; };
          };
        in {
          default = mk {
            pname = "widget";
            version = "2.0";
            buildInputs = [ zlib helper ];
            script = "echo widget uses ${zlib} ${helper} > $out";
            meta.license = [ { spdxId = "MIT"; } { spdxId = "Apache-2.0"; } ];
          };
        });
    };
}
