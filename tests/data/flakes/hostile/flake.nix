{
  description = "A pull request's flake whose metadata is hostile: huge, control characters, line breaks, workflow commands, mark-up, URLs and e-mail addresses that are not";
  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
      ctl = builtins.fromJSON ''"\u001b[31m\u0007\u202e"'';
      big = n: s: if n == 0 then s else big (n - 1) (s + s);
      pkgsFor = system: let
      # a derivation whose attributes are not what its name says
      dep = (derivation {
        name = "dep-1.0";
        pname = "evil\n::warning::injected ${ctl}<!-- hidden --> @everyone #1 " + big 12 "A";
        version = "1.0 ${ctl}\n::error::x /../?#@ <script>" + big 10 "9";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "echo dep > $out" ];
      }) // {
        meta = {
          description = "line1\nline2${ctl} <!-- x --> " + big 20 "D";
          homepage = "javascript:alert(1)";
          license = [
            { spdxId = "MIT OR (GPL-2.0"; fullName = "My <b>Licence</b>\n(evil)${ctl}"; }
            { fullName = big 14 "L"; url = "not a url"; }
          ];
          maintainers = [ { name = "Mallory (evil)\nOrganization: x${ctl}"; email = "a@b.c)\n(x"; github = "mal"; } ];
          identifiers = {
            purl = "pkg:npm/%40evil/x@1?a=b#c/d";
            cpe = "cpe:2.3:a:\nevil:x:1:*:*:*:*:*:*:*";
            possibleCPEs = [ "cpe:2.3:a:evil:x:1 0:*:*:*:*:*:*:*" ];
          };
        };
      };
      src = derivation {
        name = "src-2.0.tar.gz";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "echo src > $out" ];
        urls = "mirror://gnu/src/src-2.0.tar.gz https://example.org/src-2.0.tar.gz <not>a url";
        outputHashMode = "flat";
        outputHashAlgo = "sha256";
        outputHash = "ef8aed55fba64258003f3479ff60a060ddb8301d170110a0d2dfa0ce4ea04eb3";
      };
      root = (derivation {
        name = "root-app-2.0";
        inherit system src;
        builder = "/bin/sh";
        args = [ "-c" "echo ${dep} > $out" ];
        buildInputs = [ dep ];
      }) // { meta = { homepage = "not a url with spaces"; description = "root"; }; };
      in { default = root; };
    in { packages = forAll pkgsFor; };
}
