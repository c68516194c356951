# A pull request's derivation whose evaluation asks for 8 GB at once (a list of 10^9 elements).
derivation {
  name = "hog-1.0";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo ${toString (builtins.length (builtins.genList (x: x) 1000000000))} > $out" ];
}
