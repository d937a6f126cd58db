class parallel_generator:
    """Runs a generator in a thread (what it yields is not known to the analysis)."""

    def __init__(self, generator, queue_size):
        self.generator = generator
        self.queue_size = queue_size

    def __iter__(self):
        return iter(self.generator)
