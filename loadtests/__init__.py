"""Load tests: locust users sending realistic Appraiser traffic."""
