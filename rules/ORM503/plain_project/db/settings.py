class Flags:
    strict = None
