"""The tutoring graph: state, nodes (stages), pure policy, prompts, wiring."""
