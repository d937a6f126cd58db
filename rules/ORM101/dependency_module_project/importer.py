"""Writes rows through the session's connection (qualicharge `StatiqueImporter`): nothing
the session's own bookkeeping sees, only the savepoint around it."""


class Importer:
    def __init__(self, rows, connection):
        self.rows = rows
        self.connection = connection

    def save(self):
        for row in self.rows:
            self.connection.exec_driver_sql("INSERT INTO item (name) VALUES (?)", (row,))
