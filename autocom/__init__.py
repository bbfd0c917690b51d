"""autocom: the features of the old PABX, back on Asterisk/XiVO."""

__version__ = "0.1.0"
