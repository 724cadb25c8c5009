-- expect: FILE:3: inherit: policy "nosuch" not found (looked in policies)
return {
  inherit = "nosuch",
}
