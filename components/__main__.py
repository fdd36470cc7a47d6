"""Entry point when Pulumi runs this folder as a component plugin (see PulumiPlugin.yaml)."""

from ecs_platform.provider import main

if __name__ == "__main__":
    main()
