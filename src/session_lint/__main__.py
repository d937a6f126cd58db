# By now the working directory is off sys.path (see _drop_working_directory in
# __init__, which runs first): `python -m session_lint` imports nothing of the linted project.
from .cli import main

if __name__ == "__main__":
    main()
