def test_never_collected_by_the_integration_project():
    raise AssertionError("a package's own Python tests are not the project's")
