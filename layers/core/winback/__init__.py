"""winback core: the package every Lambda function imports from the shared layer."""
