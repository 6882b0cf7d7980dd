"""``vaka course_bundle export|import``: a course as a zip bundle (``training.bundle``)."""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.directory.models import User
from vaka.policy import inputs
from vaka.policy.visibility import visible_to
from vaka.training import bundle
from vaka.training.models import Course


def _errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{inputs.BY_NAME[name].option}: {' '.join(messages)}"
                         if name in inputs.BY_NAME else " ".join(messages)
                         for name, messages in error.message_dict.items())
    return " ".join(error.messages)


class Command(BaseCommand):
    help = ("Export a course as a zip bundle (catalogue fields, completion rules, modules, "
            "lessons and their files, quizzes; no personal data), or import one as a new "
            "course of the user's organisation, marked as the options say. Acts as --user, "
            "who must be a trainer of the course's (or their own) organisation.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write the course's bundle to FILE.")
        export.add_argument("code", metavar="COURSE_CODE")
        export.add_argument("file", type=Path, metavar="FILE")
        export.add_argument("--user", required=True, metavar="USERNAME")
        load = actions.add_parser("import", help="Make a new course from the bundle FILE.")
        load.add_argument("file", type=Path, metavar="FILE")
        load.add_argument("--user", required=True, metavar="USERNAME")
        load.add_argument("--code", default="", help="The new course's code (default: the "
                                                     "bundle's, which must be free).")
        inputs.add_options(load)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None or user.organisation_id is None:
            raise CommandError(f"No active user of an organisation named '{options['user']}'.")
        try:
            if options["action"] == "export":
                course = visible_to(user, Course.objects.filter(code=options["code"])).first()
                if course is None:
                    raise CommandError(f"No course '{options['code']}' that "
                                       f"{user.username} sees.")
                options["file"].write_bytes(bundle.export_course(user, course))
                self.stdout.write(f"{options['file']}: course {course.code}")
                return
            markings = inputs.parse_markings(inputs.options_data(options),
                                             owner=user.organisation, creator=user)
            course = bundle.import_bundle(user, options["file"].read_bytes(), markings,
                                          code=options["code"])
        except ValidationError as error:
            raise CommandError(_errors(error)) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror or error}") from error
        self.stdout.write(f"course {course.code} (id {course.pk}) imported")
