package bad
p := [1, {2: 3}, {4}, set(), "\u00e9\ud83d\ude00"
