return { inherit = "hostdist", description = "the smallest useful policy" }
