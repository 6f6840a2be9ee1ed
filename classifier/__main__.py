"""Run the classifier command line: ``python -m classifier --help``."""

from classifier.cli import cli

if __name__ == "__main__":
    cli()
