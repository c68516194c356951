# A pull request's derivation whose evaluation runs for hours in little memory (Nix catches infinite
# recursion, not this): 10^9 steps, each allocating a small list the GC takes back.
let
  loop = n: if n == 0 then 0 else builtins.seq (builtins.genList (x: x) 100) (loop (n - 1));
  spin = builtins.foldl' (acc: i: acc + loop 1000) 0 (builtins.genList (x: x) 1000000);
in
derivation {
  name = "spin-1.0";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo ${toString spin} > $out" ];
}
