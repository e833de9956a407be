"""The diff stage: typed changes with their risk, the comparators that find them, hints and lint."""
