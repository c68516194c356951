# Applied to the installable's value by `nix eval --json --apply`. Walks the derivation-valued
# attributes of every derivation (genericClosure keyed by drvPath) and returns, in ONE evaluation,
# the root's drvPath and the metadata Nix knows for each reachable derivation. Every access is
# guarded: a broken attribute anywhere must not abort the SBOM.
root:
let
  inherit (builtins) tryEval deepSeq isAttrs isList isString attrNames filter concatMap genericClosure head;
  shallow = v: d: let r = tryEval v; in if r.success then r.value else d;
  deep = v: d: let r = tryEval (deepSeq v v); in if r.success then r.value else d;
  isDrv = v: shallow (isAttrs v && (v.type or null) == "derivation") false;
  drvPathOf = d: let p = shallow (d.drvPath or null) null; in
    if isString p then builtins.unsafeDiscardStringContext p else null;
  str = v: let x = deep v null; in if isString x then builtins.unsafeDiscardStringContext x else null;
  firstStr = v: let x = deep v null; in
    if isString x then x
    else if isList x && x != [ ] && isString (head x) then head x
    else null;
  lic1 = l:
    if isString l then { spdxId = l; }
    else if isAttrs l then {
      spdxId = str (l.spdxId or null);
      fullName = str (l.fullName or null);
      shortName = str (l.shortName or null);
      url = str (l.url or null);
    } else null;
  # a list of strings (anything else dropped); possibleCPEs entries are { cpe; cpeParts; } in nixpkgs
  strList = v: let x = deep v [ ]; in
    if isList x then map builtins.unsafeDiscardStringContext (filter isString x) else [ ];
  cpeOf = e: if isString e then e else if isAttrs e && isString (e.cpe or null) then e.cpe else null;
  cpeList = v: let x = deep v [ ]; in
    if isList x then map builtins.unsafeDiscardStringContext (filter isString (map cpeOf x)) else [ ];
  licensesOf = m: let l = shallow (m.license or null) null; in
    if l == null then [ ]
    else if isList l then filter (x: x != null) (map (x: deep (lic1 x) null) l)
    else filter (x: x != null) [ (deep (lic1 l) null) ];
  person = x:
    if isString x then { name = x; }
    else if isAttrs x then { name = str (x.name or null); email = str (x.email or null); github = str (x.github or null); }
    else null;
  maintainersOf = m: let l = shallow (m.maintainers or null) null; in
    if isList l then filter (x: x != null) (map (x: deep (person x) null) l) else [ ];
  depsOf = d:
    let
      attrs = shallow (d.drvAttrs or { }) { };
      vals = map (n: shallow attrs.${n} null) (attrNames attrs);
      flat = concatMap (v: if shallow (isList v) false then v else [ v ]) vals;
      # one closure item per derivation-valued attribute (drvPath computed once per edge)
      one = v: if isDrv v then (let p = drvPathOf v; in if p == null then [ ] else [ { key = p; drv = v; } ]) else [ ];
    in concatMap one flat;
  item = d: { key = drvPathOf d; drv = d; };
  closure = genericClosure {
    startSet = if isDrv root && drvPathOf root != null then [ (item root) ] else [ ];
    operator = it: depsOf it.drv;
  };
  describe = it:
    let
      d = it.drv;
      m = shallow (d.meta or null) null;
      hasMeta = m != null && shallow (isAttrs m) false;
      ids = if hasMeta then shallow (m.identifiers or { }) { } else { };
      parts = shallow (ids.cpeParts or { }) { };
    in {
      drvPath = it.key;
      pname = str (d.pname or null);
      version = str (d.version or null);
      hasMeta = hasMeta;
      description = if hasMeta then str (m.description or null) else null;
      homepage = if hasMeta then firstStr (m.homepage or null) else null;
      licenses = if hasMeta then licensesOf m else [ ];
      purl = str (ids.purl or null);
      cpe = str (ids.cpe or null);
      possibleCPEs = cpeList (ids.possibleCPEs or [ ]);
      cpePart = str (parts.part or null);
      cpeVendor = str (parts.vendor or null);
      cpeProduct = str (parts.product or null);
      knownVulnerabilities = if hasMeta then strList (m.knownVulnerabilities or [ ]) else [ ];
      # where the package is defined ("/nix/store/...-source/pkgs/foo.nix:12"): which flake supplies it
      position = if hasMeta then str (m.position or null) else null;
      maintainers = if hasMeta then maintainersOf m else [ ];
    };
in {
  isDerivation = isDrv root;
  drvPath = drvPathOf root;
  outputName = str (root.outputName or null);
  packages = map describe closure;
}
